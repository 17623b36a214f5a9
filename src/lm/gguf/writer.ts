/**
 * The GGUF container (ggml-org/ggml docs/gguf.md, version 3): magic "GGUF", version, tensor count,
 * key/value count; typed key/values; tensor infos (name, dims innermost first, ggml type, offset);
 * then the tensor data, each tensor aligned to `general.alignment` (32 unless set).
 */

/** GGUF metadata value types. */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const

/** ggml tensor types written here. */
export const GgmlType = {F32: 0, F16: 1} as const

export type GgufValue =
  | {type: 'u32'; value: number}
  | {type: 'i32'; value: number}
  | {type: 'f32'; value: number}
  | {type: 'bool'; value: boolean}
  | {type: 'string'; value: string}
  | {type: 'string[]'; value: string[]}
  | {type: 'i32[]'; value: ArrayLike<number>}
  | {type: 'u32[]'; value: ArrayLike<number>}
  | {type: 'f32[]'; value: ArrayLike<number>}

export type GgufTensor = {
  name: string
  /** The PyTorch / safetensors shape (outermost first); GGUF stores it reversed. */
  shape: number[]
  type: (typeof GgmlType)[keyof typeof GgmlType]
  /** Little-endian element bytes of `type`. */
  bytes: Uint8Array
}

const ALIGNMENT = 32

/** Grows a byte buffer; GGUF headers hold tens of thousands of small strings (the vocabulary). */
class ByteSink {
  private buf = new Uint8Array(1 << 16)
  private view = new DataView(this.buf.buffer)
  length = 0

  private reserve(n: number) {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u32(v: number) {
    this.reserve(4)
    this.view.setUint32(this.length, v, true)
    this.length += 4
  }

  i32(v: number) {
    this.reserve(4)
    this.view.setInt32(this.length, v, true)
    this.length += 4
  }

  u64(v: number) {
    this.reserve(8)
    this.view.setBigUint64(this.length, BigInt(v), true)
    this.length += 8
  }

  f32(v: number) {
    this.reserve(4)
    this.view.setFloat32(this.length, v, true)
    this.length += 4
  }

  u8(v: number) {
    this.reserve(1)
    this.buf[this.length++] = v
  }

  bytes(b: Uint8Array) {
    this.reserve(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  string(s: string) {
    const b = Buffer.from(s, 'utf8')
    this.u64(b.length)
    this.bytes(b)
  }

  pad(alignment: number) {
    const n = (alignment - (this.length % alignment)) % alignment
    this.reserve(n)
    this.length += n // new bytes are zero
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

function writeValue(sink: ByteSink, v: GgufValue) {
  switch (v.type) {
    case 'u32':
      sink.u32(GgufType.UINT32)
      sink.u32(v.value)
      return
    case 'i32':
      sink.u32(GgufType.INT32)
      sink.i32(v.value)
      return
    case 'f32':
      sink.u32(GgufType.FLOAT32)
      sink.f32(v.value)
      return
    case 'bool':
      sink.u32(GgufType.BOOL)
      sink.u8(v.value ? 1 : 0)
      return
    case 'string':
      sink.u32(GgufType.STRING)
      sink.string(v.value)
      return
    case 'string[]':
      sink.u32(GgufType.ARRAY)
      sink.u32(GgufType.STRING)
      sink.u64(v.value.length)
      for (const s of v.value) sink.string(s)
      return
    case 'i32[]':
    case 'u32[]':
    case 'f32[]': {
      const [type, write] = NUMBER_ARRAYS[v.type]
      sink.u32(GgufType.ARRAY)
      sink.u32(type)
      sink.u64(v.value.length)
      for (let i = 0; i < v.value.length; i++) write(sink, v.value[i])
    }
  }
}

/** The element type and writer of each numeric array value. */
const NUMBER_ARRAYS: Record<'i32[]' | 'u32[]' | 'f32[]', [number, (sink: ByteSink, x: number) => void]> = {
  'i32[]': [GgufType.INT32, (sink, x) => sink.i32(x)],
  'u32[]': [GgufType.UINT32, (sink, x) => sink.u32(x)],
  'f32[]': [GgufType.FLOAT32, (sink, x) => sink.f32(x)],
}

const ELEMENT_BYTES: Record<number, number> = {[GgmlType.F32]: 4, [GgmlType.F16]: 2}

/** Encodes a whole GGUF v3 file. Keys are written in the order given. */
export function encodeGguf(metadata: [string, GgufValue][], tensors: GgufTensor[]): Uint8Array {
  const head = new ByteSink()
  head.bytes(Buffer.from('GGUF', 'ascii'))
  head.u32(3)
  head.u64(tensors.length)
  head.u64(metadata.length)
  for (const [key, value] of metadata) {
    head.string(key)
    writeValue(head, value)
  }
  let offset = 0
  const offsets: number[] = []
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1)
    if (count * ELEMENT_BYTES[t.type] !== t.bytes.length)
      throw new Error(`tensor ${t.name}: ${t.bytes.length} bytes do not hold shape ${JSON.stringify(t.shape)}`)
    head.string(t.name)
    head.u32(t.shape.length)
    for (const d of [...t.shape].reverse()) head.u64(d)
    head.u32(t.type)
    head.u64(offset)
    offsets.push(offset)
    offset += t.bytes.length
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT
  }
  head.pad(ALIGNMENT)
  const start = head.length
  const out = new Uint8Array(start + offset)
  out.set(head.result())
  tensors.forEach((t, i) => out.set(t.bytes, start + offsets[i]))
  return out
}
