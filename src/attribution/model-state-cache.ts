import {createHash} from 'node:crypto'
import {closeSync, fstatSync, openSync, read, readFileSync, readSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {readCacheFile, type SafetensorsFile, type TensorInfo, type TensorSource, writeSafetensorsFile} from '../model/safetensors.js'
import {CorruptFileError} from '../store/atomic.js'
import {cacheDir} from '../store/paths.js'
import type {PreparedWeights} from './model.js'
import type {PackedRecordBytes, RecordTensors} from './record-table.js'

/**
 * The per-model state attribution needs before its first query: the training records' standardised
 * encoder outputs H, their labels, and the final weights' per-record quantities. Building it reads
 * and re-verifies the datanet version (Merkle root), reads the embedding cache and runs a pass over
 * H; all of that depends only on the artifact's bytes, so it is done once and kept here, keyed by
 * them. A query then costs reading this file.
 */
export type ModelState = {
  N: number
  D: number
  C: number
  r: number
  H: Float32Array
  labels: Int32Array
  final: Omit<PreparedWeights, 'weights' | 'lr'>
  /** The validation split's rows (Nv×D) and labels: the audit scores them too. */
  Hval: Float32Array
  labelsVal: Int32Array
  /**
   * The training then validation records (N + Nv rows) packed (record-table.ts), read back by
   * position; absent when a record hash is not canonical, or in files written before they were kept.
   */
  records?: PackedRecordBytes
}

/**
 * What a query needs of the cached state, as loaded: the validation split (only the audit reads it)
 * stays in the file (loadValidationState), the records too (`records` says where, when kept).
 */
export type LoadedModelState = Omit<ModelState, 'Hval' | 'labelsVal' | 'records'> & {
  Nv: number
  records?: {train: RecordTensors; validation: RecordTensors; contributors: string[]}
}

const STATE_FORMAT = 'openledger-attribution-state'
const STATE_VERSION = '2'

/**
 * sha256 of the artifact files the state is derived from: weights and standardiser
 * (model.safetensors), the training manifest (datanet root, record list, labels, split) and the
 * config (encoder, text field).
 */
export function modelStateKey(artifactPath: string): string {
  const h = createHash('sha256').update(`${STATE_FORMAT}:${STATE_VERSION}\n`)
  for (const f of ['model.safetensors', 'training.json', 'config.json']) h.update(readFileSync(join(artifactPath, f)))
  return h.digest('hex')
}

/** Where the state for `key` is kept: under the cache dir, never in the artifact. */
export function modelStatePath(key: string): string {
  return join(cacheDir(), 'attribution', `${key}.state.safetensors`)
}

export function saveModelState(path: string, key: string, s: ModelState): void {
  const {N, D, C, r, final: f} = s
  const Nv = s.labelsVal.length
  // Zero-length tensors are left out (a model with no validation split has none).
  const validation: TensorSource[] = Nv
    ? [
        {name: 'Hval', dtype: 'F32', shape: [Nv, D], data: s.Hval},
        {name: 'labelsVal', dtype: 'I32', shape: [Nv], data: s.labelsVal},
      ]
    : []
  const rec = s.records
  if (rec && rec.contributorIds.length !== N + Nv) throw new RangeError(`${rec.contributorIds.length} packed records for ${N} + ${Nv} rows`)
  const records: TensorSource[] = rec
    ? [
        {name: 'recordHashes', dtype: 'U8', shape: [N, 32], data: rec.hashes.subarray(0, N * 32)},
        {name: 'recordContributors', dtype: 'U32', shape: [N], data: rec.contributorIds.subarray(0, N)},
        ...(Nv
          ? ([
              {name: 'valRecordHashes', dtype: 'U8', shape: [Nv, 32], data: rec.hashes.subarray(N * 32)},
              {name: 'valRecordContributors', dtype: 'U32', shape: [Nv], data: rec.contributorIds.subarray(N)},
            ] as TensorSource[])
          : []),
      ]
    : []
  const contributors = rec ? Buffer.from(JSON.stringify(rec.contributors), 'utf8') : undefined
  if (contributors) records.push({name: 'contributors', dtype: 'U8', shape: [contributors.length], data: contributors})
  // The adapter's tensors of a head-only model (r = 0) hold no bytes: given as no chunks, since the
  // writer has moved past an empty tensor before any write could name it.
  const bytesOf = (a: Float32Array) => (a.byteLength ? a : [])
  writeSafetensorsFile(
    path,
    [
      {name: 'H', dtype: 'F32', shape: [N, D], data: s.H},
      {name: 'labels', dtype: 'I32', shape: [N], data: s.labels},
      {name: 'Ah', dtype: 'F32', shape: [N, r], data: bytesOf(f.Ah)},
      {name: 'Bu', dtype: 'F32', shape: [N, r], data: bytesOf(f.Bu)},
      {name: 'Bth', dtype: 'F32', shape: [N, r], data: bytesOf(f.Bth)},
      {name: 'Pr', dtype: 'F32', shape: [N, C], data: f.Pr},
      {name: 'Res', dtype: 'F32', shape: [N, C], data: f.Res},
      {name: 'G', dtype: 'F64', shape: [C, C], data: f.G},
      ...validation,
      ...records,
    ],
    {format: STATE_FORMAT, version: STATE_VERSION, key, N: String(N), D: String(D), C: String(C), r: String(r), Nv: String(Nv)},
  )
}

/**
 * The cached state for `key`, without the validation split or the records (see LoadedModelState);
 * undefined when missing, stale, of another version or unreadable.
 */
export function loadModelState(path: string, key: string): LoadedModelState | undefined {
  // A missing, damaged or stale file is rebuilt, never trusted.
  return readCacheFile(path, {format: STATE_FORMAT, version: STATE_VERSION, key}, (file) => {
    const {N, D, C, r, Nv} = checkStateShapes(file)
    const records = keptRecords(file, key)
    return {
      N,
      D,
      C,
      r,
      H: file.read<'F32'>('H'),
      labels: file.read<'I32'>('labels'),
      final: {
        Ah: file.read<'F32'>('Ah'),
        Bu: file.read<'F32'>('Bu'),
        Bth: file.read<'F32'>('Bth'),
        Pr: file.read<'F32'>('Pr'),
        Res: file.read<'F32'>('Res'),
        G: file.read<'F64'>('G'),
      },
      Nv,
      ...(records ? {records} : {}),
    }
  })
}

/**
 * Where the records of the cached state for `key` are kept (the contributors read, the rest left in
 * the file), without reading its matrices: for a pass that streams them (ModelStateRows). Undefined
 * when the file is missing or stale, or keeps no records.
 */
export function loadStateRecords(path: string, key: string): LoadedModelState['records'] {
  return readCacheFile(path, {format: STATE_FORMAT, version: STATE_VERSION, key}, (file) => keptRecords(file, key))
}

function keptRecords(file: SafetensorsFile, key: string): LoadedModelState['records'] {
  if (!file.tensors.has('recordHashes')) return undefined
  const {path} = file
  let contributors: unknown
  try {
    contributors = JSON.parse(Buffer.from(file.readBytes('contributors')).toString('utf8'))
  } catch {
    throw new CorruptFileError(path, 'tensor contributors is not a JSON list')
  }
  if (!Array.isArray(contributors) || !contributors.every((c) => typeof c === 'string'))
    throw new CorruptFileError(path, 'tensor contributors is not a list of addresses')
  return {...stateRecordTensors(path, key), contributors}
}

/**
 * The state's dimensions from its metadata, after checking every tensor has the shape they imply:
 * a CorruptFileError naming the first that does not (a cache treats it as a miss).
 */
function checkStateShapes(file: SafetensorsFile): {N: number; D: number; C: number; r: number; Nv: number} {
  const m = file.metadata
  const [N, D, C, r, Nv] = [m.N, m.D, m.C, m.r, m.Nv].map(Number)
  const expect: Record<string, number[]> = {
    H: [N, D],
    labels: [N],
    Ah: [N, r],
    Bu: [N, r],
    Bth: [N, r],
    Pr: [N, C],
    Res: [N, C],
    G: [C, C],
  }
  if (Nv > 0) Object.assign(expect, {Hval: [Nv, D], labelsVal: [Nv]})
  if (file.tensors.has('recordHashes')) {
    Object.assign(expect, {recordHashes: [N, 32], recordContributors: [N]})
    if (Nv > 0) Object.assign(expect, {valRecordHashes: [Nv, 32], valRecordContributors: [Nv]})
  }
  for (const [name, shape] of Object.entries(expect)) {
    if (JSON.stringify(file.info(name).shape) !== JSON.stringify(shape))
      throw new CorruptFileError(file.path, `tensor ${name} is not ${JSON.stringify(shape)}`)
  }
  return {N, D, C, r, Nv}
}

/** Where a state file written with `records` keeps the training and the validation records. */
export function stateRecordTensors(path: string, key: string): {train: RecordTensors; validation: RecordTensors} {
  return {
    train: {path, key, hashes: 'recordHashes', contributorIds: 'recordContributors'},
    validation: {path, key, hashes: 'valRecordHashes', contributorIds: 'valRecordContributors'},
  }
}

/** The validation split's rows and labels from the cached state for `key`; undefined as loadModelState. */
export function loadValidationState(path: string, key: string): {Hval: Float32Array; labelsVal: Int32Array} | undefined {
  return readCacheFile(path, {format: STATE_FORMAT, version: STATE_VERSION, key}, (file) => {
    const Nv = Number(file.metadata.Nv)
    if (Nv === 0) return {Hval: new Float32Array(0), labelsVal: new Int32Array(0)}
    return {Hval: file.read<'F32'>('Hval'), labelsVal: file.read<'I32'>('labelsVal')}
  })
}

/** The per-record tensors of a state file, each N rows of `width` float32 values. */
export type StateRowTensor = 'H' | 'Ah' | 'Bu' | 'Bth' | 'Pr' | 'Res'

/** Rows [start, start + n) of the tensors asked for, in buffers reused from one chunk to the next. */
export type StateChunk = {start: number; n: number} & Partial<Record<StateRowTensor, Float32Array>>

/** 8 MiB a chunk: large enough that a read costs far more than its system call, small beside a model. */
export const DEFAULT_CHUNK_BYTES = 8 << 20

/**
 * A model-state file opened for a pass over its records without loading them: `read` reads the
 * per-record tensors a query needs in fixed-size chunks by position (fs.readSync at an offset into
 * buffers reused from pass to pass), so memory is one chunk whatever N is; `readAhead` does the
 * same with the next chunk's read under way (libuv's thread pool) while the current one is scored.
 * The small tensors (G) are read whole at open. Close it when done.
 */
export class ModelStateRows {
  /** Chunk buffers of finished passes, by tensors and rows per chunk; a pass in progress holds its own. */
  private readonly spare = new Map<string, Float32Array[][]>()
  private fd: number | undefined

  private constructor(
    readonly path: string,
    fd: number,
    private readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly N: number,
    readonly D: number,
    readonly C: number,
    readonly r: number,
    /** C×C: W_D W_Dᵀ of the final weights. */
    readonly G: Float64Array,
  ) {
    this.fd = fd
  }

  /**
   * Opens the state for `key`; undefined when missing, stale, of another version or damaged (a
   * truncated file fails the header's offset checks here), as loadModelState: the caller rebuilds.
   */
  static open(path: string, key: string): ModelStateRows | undefined {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    try {
      const opened = readCacheFile(path, {format: STATE_FORMAT, version: STATE_VERSION, key}, (file) => ({
        ...checkStateShapes(file),
        tensors: file.tensors,
        G: file.read<'F64'>('G'),
      }))
      // The rows are read through `fd`: it must be the file the header came from. A cache is
      // replaced by renaming a new file over it (a new inode), so one comparison settles it.
      const held = fstatSync(fd)
      const now = statSync(path, {throwIfNoEntry: false})
      if (!opened || !now || held.ino !== now.ino || held.dev !== now.dev) {
        closeSync(fd)
        return undefined
      }
      return new ModelStateRows(path, fd, opened.tensors, opened.N, opened.D, opened.C, opened.r, opened.G)
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  /** float32 values per row of a tensor. */
  width(t: StateRowTensor): number {
    return t === 'H' ? this.D : t === 'Pr' || t === 'Res' ? this.C : this.r
  }

  /**
   * Rows per chunk so that one chunk of `tensors` is about `chunkBytes`: a multiple of `multipleOf`
   * rows (at least one multiple), or all N rows when they fit.
   */
  rowsPerChunk(tensors: readonly StateRowTensor[], chunkBytes = DEFAULT_CHUNK_BYTES, multipleOf = 1): number {
    const rowBytes = 4 * tensors.reduce((s, t) => s + this.width(t), 0)
    const rows = Math.floor(chunkBytes / Math.max(rowBytes, 1))
    return Math.max(1, Math.min(this.N, Math.max(multipleOf, rows - (rows % multipleOf))))
  }

  /**
   * Every chunk of rows in order. A chunk's arrays are views of buffers the next chunk overwrites:
   * copy what must outlive it. A file cut short under the pass is a one-line CorruptFileError
   * naming it.
   */
  *read(tensors: readonly StateRowTensor[], chunkBytes = DEFAULT_CHUNK_BYTES, multipleOf = 1): Generator<StateChunk> {
    const rows = this.rowsPerChunk(tensors, chunkBytes, multipleOf)
    const buffers = this.checkout(tensors, rows)
    try {
      for (let start = 0; start < this.N; start += rows) {
        const chunk = this.chunkAt(tensors, rows, start, buffers)
        tensors.forEach((t) => this.readSpan(t, start, chunk[t]!))
        yield chunk
      }
    } finally {
      this.release(tensors, rows, buffers)
    }
  }

  /**
   * `read`, with chunk i + 1 read in the background while the caller works on chunk i (two buffer
   * sets): a pass whose scoring leaves the event loop between chunks (an ONNX Runtime run) costs
   * about the larger of the two, not their sum.
   */
  async *readAhead(tensors: readonly StateRowTensor[], chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<StateChunk> {
    const rows = this.rowsPerChunk(tensors, chunkBytes)
    const sets = [this.checkout(tensors, rows), this.checkout(tensors, rows)]
    const load = (start: number, k: number) => {
      const chunk = this.chunkAt(tensors, rows, start, sets[k % 2])
      const p = Promise.all(tensors.map((t) => this.readSpanAsync(t, start, chunk[t]!))).then(() => chunk)
      // Awaited below; marked handled now so a failure while the caller is busy is not reported as unhandled.
      p.catch(() => {})
      return p
    }
    let pending: Promise<StateChunk> | undefined = this.N > 0 ? load(0, 0) : undefined
    try {
      for (let start = 0, k = 0; pending; start += rows, k++) {
        const chunk: StateChunk = await pending
        pending = start + rows < this.N ? load(start + rows, k + 1) : undefined
        yield chunk
      }
    } finally {
      // A read still in flight writes into its buffers: let it land before they are reused.
      await pending?.catch(() => {})
      for (const set of sets) this.release(tensors, rows, set)
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  private checkout(tensors: readonly StateRowTensor[], rows: number): Float32Array[] {
    return this.spare.get(`${tensors.join(',')}:${rows}`)?.pop() ?? tensors.map((t) => new Float32Array(rows * this.width(t)))
  }

  /** Back for the next pass: a server's queries reuse the same few megabytes instead of leaving a chunk's worth of garbage per query. */
  private release(tensors: readonly StateRowTensor[], rows: number, buffers: Float32Array[]): void {
    const key = `${tensors.join(',')}:${rows}`
    const free = this.spare.get(key) ?? []
    if (free.length < 2) free.push(buffers)
    this.spare.set(key, free)
  }

  private chunkAt(tensors: readonly StateRowTensor[], rows: number, start: number, buffers: Float32Array[]): StateChunk {
    const n = Math.min(rows, this.N - start)
    const chunk: StateChunk = {start, n}
    tensors.forEach((t, k) => {
      chunk[t] = n === rows ? buffers[k] : buffers[k].subarray(0, n * this.width(t))
    })
    return chunk
  }

  /** Where rows start.. of tensor t lie in the file, and as bytes of `into`. */
  private span(t: StateRowTensor, start: number, into: Float32Array): {bytes: Uint8Array; position: number} {
    const info = this.tensors.get(t)!
    return {bytes: new Uint8Array(into.buffer, into.byteOffset, into.byteLength), position: info.begin + start * this.width(t) * 4}
  }

  private cutShort(t: StateRowTensor, start: number, into: Float32Array, at: number): CorruptFileError {
    const end = start + into.length / Math.max(this.width(t), 1)
    return new CorruptFileError(this.path, `reading rows ${start}..${end} of ${t}: unexpected end of file at byte ${at}`)
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path}: file is closed`)
    return this.fd
  }

  private readSpan(t: StateRowTensor, start: number, into: Float32Array): void {
    const {bytes, position} = this.span(t, start, into)
    const fd = this.openFd()
    for (let off = 0; off < bytes.length; ) {
      const n = readSync(fd, bytes, off, bytes.length - off, position + off)
      if (n === 0) throw this.cutShort(t, start, into, position + off)
      off += n
    }
  }

  private async readSpanAsync(t: StateRowTensor, start: number, into: Float32Array): Promise<void> {
    const {bytes, position} = this.span(t, start, into)
    const fd = this.openFd()
    for (let off = 0; off < bytes.length; ) {
      const n = await readAt(fd, bytes, off, bytes.length - off, position + off)
      if (n === 0) throw this.cutShort(t, start, into, position + off)
      off += n
    }
  }
}

/** fs.read at a position, as a promise of the bytes read. */
function readAt(fd: number, into: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))))
}
