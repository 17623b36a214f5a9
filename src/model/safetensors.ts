import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

import {CorruptFileError} from '../store/atomic.js'
import {StreamFileWriter} from '../store/stream-writer.js'

/**
 * The safetensors format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of
 * JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}},
 * then the tensor bytes (offsets relative to the end of the header).
 *
 * This is the project's one on-disk container for model weights and caches (embeddings, Hessians,
 * span indexes): `__metadata__` carries what a cache is keyed by (key, version, encoder id, datanet
 * root), `SafetensorsWriter` streams tensors to disk without holding the file in memory, and
 * `SafetensorsFile` reads the header and then only the byte ranges asked for (fs.read at an offset).
 * Byte order is little-endian, as the format requires and as every platform Node runs on is.
 */
export type Tensor = {shape: number[]; data: Float32Array}

/**
 * F16 and BF16 have no typed array in Node: they are held as their raw 16-bit patterns (a
 * Uint16Array); src/model/half.ts widens them to float32 and narrows float32 to F16.
 */
export type DType = 'F64' | 'F32' | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'F16' | 'BF16'
export type TypedArrayOf<D extends DType> = D extends 'F64'
  ? Float64Array
  : D extends 'F32'
    ? Float32Array
    : D extends 'I64'
      ? BigInt64Array
      : D extends 'U64'
        ? BigUint64Array
        : D extends 'I32'
          ? Int32Array
          : D extends 'U32'
            ? Uint32Array
            : D extends 'I16'
              ? Int16Array
              : D extends 'U16' | 'F16' | 'BF16'
                ? Uint16Array
                : D extends 'I8'
                  ? Int8Array
                  : Uint8Array
export type AnyTypedArray = TypedArrayOf<DType>

const ARRAYS = {
  F64: Float64Array,
  F32: Float32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  // After U16, so that dtypeOf(a Uint16Array) stays U16: half-precision bits are never inferred.
  F16: Uint16Array,
  BF16: Uint16Array,
} as const

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: DType): number {
  return ARRAYS[dtype].BYTES_PER_ELEMENT
}

/** The dtype whose typed array `data` is (throws for a DataView or a Uint8ClampedArray). */
export function dtypeOf(data: ArrayBufferView): DType {
  for (const [dtype, ctor] of Object.entries(ARRAYS)) if (data instanceof ctor) return dtype as DType
  throw new Error(`no safetensors dtype for ${data.constructor.name}`)
}

export type TensorSpec = {name: string; dtype: DType; shape: number[]}
/** Where a tensor lies in its file: `begin`/`end` are absolute byte offsets. */
export type TensorInfo = TensorSpec & {begin: number; end: number}

/** The reference implementation refuses headers over 100 MB; so does this one. */
const MAX_HEADER = 100_000_000

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** The header bytes for tensors laid out in the given order, padded so data starts 8-byte aligned. */
function headerBytes(specs: TensorSpec[], metadata?: Record<string, string>): {bytes: Buffer; dataLength: number} {
  const header: Record<string, unknown> = {}
  if (metadata) header.__metadata__ = metadata
  let offset = 0
  for (const s of specs) {
    if (s.name === '__metadata__' || s.name in header) throw new Error(`tensor name ${s.name} is reserved or repeated`)
    if (!(s.dtype in ARRAYS)) throw new Error(`tensor ${s.name}: unsupported dtype ${s.dtype}`)
    if (!s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${s.name}: bad shape ${JSON.stringify(s.shape)}`)
    const length = elementCount(s.shape) * dtypeSize(s.dtype)
    header[s.name] = {dtype: s.dtype, shape: s.shape, data_offsets: [offset, offset + length]}
    offset += length
  }
  let json = JSON.stringify(header)
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8)
  const text = Buffer.from(json, 'utf8')
  const bytes = Buffer.alloc(8 + text.length)
  bytes.writeBigUInt64LE(BigInt(text.length), 0)
  text.copy(bytes, 8)
  return {bytes, dataLength: offset}
}

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort()
  for (const name of names) {
    const t = tensors[name]
    if (elementCount(t.shape) !== t.data.length)
      throw new Error(`tensor ${name}: shape ${JSON.stringify(t.shape)} does not hold ${t.data.length} values`)
  }
  const {bytes: head, dataLength} = headerBytes(
    names.map((name) => ({name, dtype: 'F32', shape: tensors[name].shape})),
    metadata,
  )
  const out = new Uint8Array(head.length + dataLength)
  out.set(head, 0)
  let pos = head.length
  for (const name of names) {
    const d = tensors[name].data
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos)
    pos += d.byteLength
  }
  return out
}

type RawHeader = Record<string, {dtype: string; shape: number[]; data_offsets: [number, number]}>

/** Checks a parsed header against the data length; throws a plain Error with the reason. */
function parseHeader(
  json: string,
  dataStart: number,
  dataLength: number,
): {metadata?: Record<string, string>; tensors: Map<string, TensorInfo>} {
  let header: RawHeader
  try {
    header = JSON.parse(json)
  } catch {
    throw new Error('the header is not valid JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('the header is not a JSON object')
  const tensors = new Map<string, TensorInfo>()
  let metadata: Record<string, string> | undefined
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || !Object.values(info).every((v) => typeof v === 'string'))
        throw new Error('__metadata__ is not a map of strings')
      metadata = info as unknown as Record<string, string>
      continue
    }
    if (!(info?.dtype in ARRAYS)) throw new Error(`tensor ${name} has unsupported dtype ${info?.dtype}`)
    const dtype = info.dtype as DType
    const shape = info.shape
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${name} has a bad shape`)
    const [begin, end] = (Array.isArray(info.data_offsets) ? info.data_offsets : [Number.NaN, Number.NaN]) as [number, number]
    if (
      !(
        Number.isSafeInteger(begin) &&
        Number.isSafeInteger(end) &&
        begin >= 0 &&
        end <= dataLength &&
        end - begin === elementCount(shape) * dtypeSize(dtype)
      )
    ) {
      throw new Error(`tensor ${name} has offsets outside the file or not matching its shape`)
    }
    tensors.set(name, {name, dtype, shape, begin: dataStart + begin, end: dataStart + end})
  }
  return {metadata, tensors}
}

/** Parses F32 tensors; throws a plain Error with the reason on any inconsistency. */
export function decodeSafetensors(bytes: Uint8Array): {tensors: Record<string, Tensor>; metadata?: Record<string, string>} {
  const raw = decodeSafetensorsRaw(bytes)
  const tensors: Record<string, Tensor> = {}
  for (const [name, t] of Object.entries(raw.tensors)) {
    if (t.dtype !== 'F32') throw new Error(`tensor ${name} has dtype ${t.dtype}; only F32 is supported`)
    const copy = new Float32Array(elementCount(t.shape))
    new Uint8Array(copy.buffer).set(t.bytes)
    tensors[name] = {shape: t.shape, data: copy}
  }
  return {tensors, metadata: raw.metadata}
}

/** A tensor as stored: its dtype, shape and bytes (a view into the decoded buffer, not a copy). */
export type RawTensor = {dtype: DType; shape: number[]; bytes: Uint8Array}

/**
 * Parses tensors of any dtype without converting them (F16/BF16 included); throws a plain Error
 * with the reason on any inconsistency. `decodeSafetensors` is the F32-only reading of the same.
 */
export function decodeSafetensorsRaw(bytes: Uint8Array): {tensors: Record<string, RawTensor>; metadata?: Record<string, string>} {
  if (bytes.length < 8) throw new Error('shorter than the 8-byte header length')
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true))
  if (n <= 0 || 8 + n > bytes.length) throw new Error(`header length ${n} does not fit in ${bytes.length} bytes`)
  const parsed = parseHeader(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'), 8 + n, bytes.length - 8 - n)
  const tensors: Record<string, RawTensor> = {}
  for (const [name, info] of parsed.tensors)
    tensors[name] = {dtype: info.dtype, shape: info.shape, bytes: bytes.subarray(info.begin, info.end)}
  return {tensors, metadata: parsed.metadata}
}

/**
 * Streams a safetensors file to disk: the header first (the specs fix every offset), then each
 * tensor's bytes in the declared order, in as many `write` calls as the caller likes. `commit`
 * checks every byte arrived, fsyncs once and renames the temp file over `path`, so readers see the
 * old file or the new one, never half of it. Memory is one 1 MiB buffer, whatever the file's size.
 */
export class SafetensorsWriter {
  private readonly file: StreamFileWriter
  private closed = false
  private readonly specs: TensorSpec[]
  /** Index of the tensor being written and the bytes it still expects. */
  private current = 0
  private remaining: number

  constructor(
    readonly path: string,
    specs: TensorSpec[],
    metadata?: Record<string, string>,
  ) {
    this.specs = specs.map((s) => ({...s, shape: [...s.shape]}))
    const {bytes} = headerBytes(this.specs, metadata)
    // No sha256 here: caches are keyed by what they were built from, not by their own bytes.
    this.file = new StreamFileWriter(path, {hash: false})
    this.remaining = this.expected(0)
    try {
      this.file.write(bytes)
    } catch (err) {
      this.abort()
      throw err
    }
  }

  private expected(i: number): number {
    const s = this.specs[i]
    return s ? elementCount(s.shape) * dtypeSize(s.dtype) : 0
  }

  /** Skips past tensors already complete (and empty ones) to the next that expects bytes. */
  private advance(): void {
    while (this.remaining === 0 && this.current < this.specs.length) this.remaining = this.expected(++this.current)
  }

  /**
   * Appends `data` to tensor `name`, which must be the tensor being written or, once that one is
   * complete, the next in declared order. `data` is the tensor's typed array or raw bytes.
   */
  write(name: string, data: ArrayBufferView): void {
    if (this.closed) throw new Error(`${this.path}: writer is closed`)
    if (this.remaining === 0) this.advance()
    const spec = this.specs[this.current]
    if (!spec || spec.name !== name)
      throw new Error(`${this.path}: tensor ${name} written out of order (expected ${spec ? spec.name : 'no more data'})`)
    // Raw bytes (a Uint8Array or Buffer) go into any dtype; other typed arrays must match it.
    if (!(data instanceof Uint8Array) && !(data instanceof ARRAYS[spec.dtype])) {
      throw new Error(`${this.path}: tensor ${name} is ${spec.dtype}, got ${data.constructor.name}`)
    }
    if (data.byteLength > this.remaining) throw new Error(`${this.path}: tensor ${name} given more bytes than its shape holds`)
    this.remaining -= data.byteLength
    this.file.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  }

  /** Checks completeness, fsyncs once and moves the file into place. */
  commit(): void {
    if (this.closed) throw new Error(`${this.path}: writer is closed`)
    this.advance()
    if (this.current < this.specs.length) {
      this.abort()
      throw new Error(`${this.path}: tensor ${this.specs[this.current].name} is missing ${this.remaining} bytes`)
    }
    this.closed = true
    this.file.commit()
  }

  /** Drops the temp file; the target is left as it was. */
  abort(): void {
    this.closed = true
    this.file.abort()
  }
}

export type TensorSource = TensorSpec & {data: ArrayBufferView | Iterable<ArrayBufferView>}

/** Writes tensors (each whole or as chunks) to `path` atomically, in the order given. */
export function writeSafetensorsFile(path: string, tensors: TensorSource[], metadata?: Record<string, string>): void {
  const writer = new SafetensorsWriter(path, tensors, metadata)
  try {
    for (const t of tensors) {
      if (ArrayBuffer.isView(t.data)) writer.write(t.name, t.data)
      else for (const chunk of t.data) writer.write(t.name, chunk)
    }
  } catch (err) {
    writer.abort()
    throw err
  }
  writer.commit()
}

/**
 * A safetensors file opened for reading by position: `open` reads the header only; `read`,
 * `readRows` and `readBytes` read just the bytes asked for. Any inconsistency is a
 * CorruptFileError naming the file (callers that treat the file as a cache catch it as a miss).
 * Close it when done (or use `withSafetensorsFile`).
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    readonly byteLength: number,
    readonly metadata: Record<string, string>,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
  ) {}

  /** Opens `path`; a missing file throws the ENOENT error as is, a malformed one a CorruptFileError. */
  static open(path: string): SafetensorsFile {
    const fd = openSync(path, 'r')
    try {
      const size = fstatSync(fd).size
      if (size < 8) throw new CorruptFileError(path, 'shorter than the 8-byte header length')
      const lenBytes = Buffer.alloc(8)
      readExactly(fd, lenBytes, 0)
      const n = Number(lenBytes.readBigUInt64LE(0))
      if (n <= 0 || n > MAX_HEADER || 8 + n > size) throw new CorruptFileError(path, `header length ${n} does not fit in ${size} bytes`)
      const head = Buffer.alloc(n)
      readExactly(fd, head, 8)
      let parsed: ReturnType<typeof parseHeader>
      try {
        parsed = parseHeader(head.toString('utf8'), 8 + n, size - 8 - n)
      } catch (err) {
        throw new CorruptFileError(path, (err as Error).message, err)
      }
      return new SafetensorsFile(path, fd, size, parsed.metadata ?? {}, parsed.tensors)
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  /** The tensor's dtype, shape and absolute offsets; a CorruptFileError if the file lacks it. */
  info(name: string): TensorInfo {
    const t = this.tensors.get(name)
    if (!t) throw new CorruptFileError(this.path, `it has no tensor ${name}`)
    return t
  }

  /** The bytes [begin, end) of tensor `name` (relative to the tensor's start). */
  readBytes(name: string, begin = 0, end?: number): Uint8Array {
    const t = this.info(name)
    const stop = end ?? t.end - t.begin
    if (!(begin >= 0 && begin <= stop && t.begin + stop <= t.end))
      throw new RangeError(`${this.path}: bytes ${begin}..${stop} outside tensor ${name}`)
    const out = new Uint8Array(stop - begin)
    readExactly(this.openFd(), out, t.begin + begin)
    return out
  }

  /** The whole tensor as its typed array. */
  read<D extends DType = DType>(name: string): TypedArrayOf<D> {
    const t = this.info(name)
    return this.readElements(t, 0, elementCount(t.shape)) as TypedArrayOf<D>
  }

  /** Rows [start, end) along the first dimension, as one flat typed array (row-major). */
  readRows<D extends DType = DType>(name: string, start: number, end: number): TypedArrayOf<D> {
    const t = this.info(name)
    if (t.shape.length === 0) throw new RangeError(`${this.path}: tensor ${name} is a scalar; it has no rows`)
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= t.shape[0])) {
      throw new RangeError(`${this.path}: rows ${start}..${end} outside tensor ${name} of ${t.shape[0]} rows`)
    }
    const row = elementCount(t.shape.slice(1))
    return this.readElements(t, start * row, end * row) as TypedArrayOf<D>
  }

  /**
   * Rows [start, end) read straight into `out` from element `at` on (no intermediate copy);
   * `out` must be of the tensor's dtype.
   */
  readRowsInto(name: string, start: number, end: number, out: AnyTypedArray, at = 0): void {
    const t = this.info(name)
    if (!(out instanceof ARRAYS[t.dtype])) throw new TypeError(`${this.path}: tensor ${name} is ${t.dtype}, not ${out.constructor.name}`)
    if (!(Number.isInteger(start) && Number.isInteger(end) && t.shape.length > 0 && start >= 0 && start <= end && end <= t.shape[0])) {
      throw new RangeError(`${this.path}: rows ${start}..${end} outside tensor ${name} of ${t.shape[0] ?? 0} rows`)
    }
    const row = elementCount(t.shape.slice(1))
    const size = out.BYTES_PER_ELEMENT
    if (at < 0 || at + (end - start) * row > out.length)
      throw new RangeError(`${this.path}: ${end - start} rows do not fit in the output at ${at}`)
    readExactly(
      this.openFd(),
      new Uint8Array(out.buffer, out.byteOffset + at * size, (end - start) * row * size),
      t.begin + start * row * size,
    )
  }

  private readElements(t: TensorInfo, first: number, last: number): AnyTypedArray {
    const Ctor = ARRAYS[t.dtype]
    const out = new Ctor(last - first)
    // Read straight into the array's own buffer: fresh, so aligned, whatever the file offset.
    readExactly(this.openFd(), new Uint8Array(out.buffer), t.begin + first * Ctor.BYTES_PER_ELEMENT)
    return out
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path}: file is closed`)
    return this.fd
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}

/** Opens `path`, runs `fn` and closes the file whatever happens. */
export function withSafetensorsFile<T>(path: string, fn: (file: SafetensorsFile) => T): T {
  const file = SafetensorsFile.open(path)
  try {
    return fn(file)
  } finally {
    file.close()
  }
}

function readExactly(fd: number, into: Uint8Array, position: number): void {
  let off = 0
  while (off < into.length) {
    const n = readSync(fd, into, off, into.length - off, position + off)
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + off}`)
    off += n
  }
}

/** What a cache file records in its `__metadata__` to say which job it answers. */
export type CacheIdentity = {format: string; version: string; key: string}

/**
 * Reads a cache file written with `identity` in its metadata. A missing file, a damaged one (any
 * CorruptFileError, from opening or from `read`) and one written for another format, version or
 * key are all a miss (undefined): a cache is rebuilt, never trusted. Other errors propagate.
 */
export function readCacheFile<T>(path: string, identity: CacheIdentity, read: (file: SafetensorsFile) => T): T | undefined {
  let file: SafetensorsFile
  try {
    file = SafetensorsFile.open(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof CorruptFileError) return undefined
    throw err
  }
  try {
    const m = file.metadata
    if (m.format !== identity.format || m.version !== identity.version || m.key !== identity.key) return undefined
    return read(file)
  } catch (err) {
    if (err instanceof CorruptFileError) return undefined
    throw err
  } finally {
    file.close()
  }
}
