/**
 * Reading the half-precision tensors that language-model folders hold. src/model/safetensors.ts
 * reads and writes F32 only (classifier heads); base models ship as F16 or BF16 and PEFT writes
 * adapters in the base's dtype, so this reads F32 / F16 / BF16 and widens to float32 exactly.
 */
import type {Tensor} from '../../model/safetensors.js'

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16'

export type RawTensor = {dtype: SafetensorsDtype; shape: number[]; bytes: Uint8Array}

const WIDTH: Record<SafetensorsDtype, number> = {F32: 4, F16: 2, BF16: 2}

/** Parses a safetensors file's tensors without converting them; throws a plain Error with the reason. */
export function decodeSafetensorsRaw(bytes: Uint8Array): {tensors: Record<string, RawTensor>; metadata?: Record<string, string>} {
  if (bytes.length < 8) throw new Error('shorter than the 8-byte header length')
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true))
  if (n <= 0 || 8 + n > bytes.length) throw new Error(`header length ${n} does not fit in ${bytes.length} bytes`)
  let header: Record<string, {dtype: string; shape: number[]; data_offsets: [number, number]}>
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'))
  } catch {
    throw new Error('the header is not valid JSON')
  }
  const start = 8 + n
  const tensors: Record<string, RawTensor> = {}
  let metadata: Record<string, string> | undefined
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>
      continue
    }
    if (!(info.dtype in WIDTH)) throw new Error(`tensor ${name} has dtype ${info.dtype}; F32, F16 and BF16 are supported`)
    const dtype = info.dtype as SafetensorsDtype
    const [begin, end] = info.data_offsets
    const count = info.shape.reduce((a, b) => a * b, 1)
    if (!(begin >= 0 && start + end <= bytes.length && end - begin === count * WIDTH[dtype])) {
      throw new Error(`tensor ${name} has offsets outside the file or not matching its shape`)
    }
    tensors[name] = {dtype, shape: info.shape, bytes: bytes.subarray(start + begin, start + end)}
  }
  return {tensors, metadata}
}

/** IEEE binary16 → float32 (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** float32 → IEEE binary16, rounding to nearest even as numpy's astype(float16) does. */
export function floatToHalf(value: number): number {
  f32[0] = value
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let out = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    if (rest > half || (rest === half && out & 1)) out++
    return sign | out
  }
  let out = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  // A carry out of the mantissa lands in the exponent, which is the right rounding (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++
  return sign | out
}

let halfTable: Float32Array | undefined

/** All 65,536 half values widened once: a lookup is several times faster than decoding each. */
function halfs(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536)
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h)
  }
  return halfTable
}

/** Little-endian host assumed (x86, ARM): safetensors and GGUF are little-endian. */
export function toFloat32(t: RawTensor): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1)
  // Copy first: tensors inside a file need not sit at an aligned offset for a typed-array view.
  const aligned = new Uint8Array(t.bytes.byteLength)
  aligned.set(t.bytes)
  if (t.dtype === 'F32') return new Float32Array(aligned.buffer, 0, count)
  const words = new Uint16Array(aligned.buffer, 0, count)
  const out = new Float32Array(count)
  if (t.dtype === 'F16') {
    const table = halfs()
    for (let i = 0; i < count; i++) out[i] = table[words[i]]
  } else {
    // bfloat16 is the high half of a float32.
    const bits = new Uint32Array(out.buffer)
    for (let i = 0; i < count; i++) bits[i] = words[i] << 16
  }
  return out
}

export function toFloat16Bytes(data: Float32Array): Uint8Array {
  const out = new Uint16Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = floatToHalf(data[i])
  return new Uint8Array(out.buffer)
}

export function widen(t: RawTensor): Tensor {
  return {shape: t.shape, data: toFloat32(t)}
}
