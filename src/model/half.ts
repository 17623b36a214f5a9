/**
 * Half-precision tensors as language-model checkpoints ship them (F16, BF16), widened to float32
 * exactly and narrowed back to F16 as numpy's astype(float16) does. safetensors.ts reads and writes
 * their raw 16-bit patterns; this is the one place those patterns are converted.
 * Little-endian host assumed (x86, ARM): safetensors and GGUF are little-endian.
 */
import type {DType, RawTensor} from './safetensors.js'

export type FloatDType = 'F32' | 'F16' | 'BF16'

/** The dtypes `toFloat32` widens. */
export const FLOAT_DTYPES: readonly FloatDType[] = ['F32', 'F16', 'BF16']

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype)
}

/** IEEE binary16 → float32 (exact: every half is a float). */
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

/** An F32, F16 or BF16 tensor's values as float32 (a fresh array); throws for any other dtype. */
export function toFloat32(t: Pick<RawTensor, 'dtype' | 'shape' | 'bytes'>): Float32Array {
  if (!isFloatDType(t.dtype)) throw new Error(`dtype ${t.dtype}; supported: ${FLOAT_DTYPES.join(', ')}`)
  const count = t.shape.reduce((a, b) => a * b, 1)
  // Copy first: tensors inside a file need not sit at an aligned offset for a typed-array view.
  const aligned = new Uint8Array(t.bytes.byteLength)
  aligned.set(t.bytes)
  if (t.dtype === 'F32') return new Float32Array(aligned.buffer, 0, count)
  return widenHalfBits(t.dtype, new Uint16Array(aligned.buffer, 0, count))
}

/** F16 or BF16 bit patterns (as SafetensorsFile.read returns them) widened to float32, exactly. */
export function widenHalfBits(dtype: 'F16' | 'BF16', words: Uint16Array): Float32Array {
  const count = words.length
  const out = new Float32Array(count)
  if (dtype === 'F16') {
    const table = halfs()
    for (let i = 0; i < count; i++) out[i] = table[words[i]]
  } else {
    // bfloat16 is the high half of a float32.
    const bits = new Uint32Array(out.buffer)
    for (let i = 0; i < count; i++) bits[i] = words[i] << 16
  }
  return out
}

/** float32 values as F16 bytes (round to nearest even). */
export function toFloat16Bytes(data: Float32Array): Uint8Array {
  const out = new Uint16Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = floatToHalf(data[i])
  return new Uint8Array(out.buffer)
}
