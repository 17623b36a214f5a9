import {existsSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import type {Tensor} from '../model/safetensors.js'
import {type LlamaConfig, expectedTensorShapes} from './config.js'
import {LmModelError} from './errors.js'

type HeaderEntry = {dtype: string; shape: number[]; data_offsets: [number, number]}

const BYTES: Record<string, number> = {F32: 4, F16: 2, BF16: 2}

/** IEEE half → float, exact (every f16 is representable in f32). */
function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** Decodes F32, F16 and BF16 tensors to f32 (bf16 is the top half of an f32, f16 is widened exactly). */
function toF32(dtype: string, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count)
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(bytes)
  } else if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer)
    for (let i = 0; i < count; i++) u32[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16
  } else {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(bytes[2 * i] | (bytes[2 * i + 1] << 8))
  }
  return out
}

/** Reads one safetensors file, widening F16/BF16 to f32; errors name the file and the tensor. */
export function readSafetensorsF32(file: string, wanted?: (name: string) => boolean): Record<string, Tensor> {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    throw new LmModelError(`${file} cannot be read`, {cause: err})
  }
  if (bytes.length < 8) throw new LmModelError(`${file}: not a safetensors file (shorter than its 8-byte header length)`)
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true))
  if (n <= 0 || 8 + n > bytes.length) throw new LmModelError(`${file}: not a safetensors file (header length ${n} does not fit in ${bytes.length} bytes)`)
  let header: Record<string, HeaderEntry>
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'))
  } catch (err) {
    throw new LmModelError(`${file}: the safetensors header is not valid JSON`, {cause: err})
  }
  const start = 8 + n
  const out: Record<string, Tensor> = {}
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__' || (wanted && !wanted(name))) continue
    const size = BYTES[info.dtype]
    if (!size) throw new LmModelError(`${file}: tensor ${name} has dtype ${info.dtype}; supported: F32, F16, BF16`)
    const count = info.shape.reduce((a, b) => a * b, 1)
    const [b, e] = info.data_offsets
    if (!(b >= 0 && start + e <= bytes.length && e - b === count * size)) throw new LmModelError(`${file}: tensor ${name} has offsets outside the file or not matching its shape ${JSON.stringify(info.shape)}`)
    out[name] = {shape: info.shape, data: toF32(info.dtype, bytes.subarray(start + b, start + e), count)}
  }
  return out
}

/** The safetensors files of a base folder: one `model.safetensors`, or the shards its index names. */
export function weightFiles(dir: string): string[] {
  const single = join(dir, 'model.safetensors')
  if (existsSync(single)) return [single]
  const indexFile = join(dir, 'model.safetensors.index.json')
  if (!existsSync(indexFile)) throw new LmModelError(`${single} is missing (and no model.safetensors.index.json for shards)`)
  let index: {weight_map?: Record<string, string>}
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'))
  } catch (err) {
    throw new LmModelError(`${indexFile} is not valid JSON`, {cause: err})
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') throw new LmModelError(`${indexFile}: no weight_map`)
  const files = [...new Set(Object.values(index.weight_map))].map((f) => join(dir, basename(f)))
  for (const f of files) if (!existsSync(f)) throw new LmModelError(`${f} is missing (named by ${basename(indexFile)})`)
  return files
}

/** All the tensors a Llama with `config` needs, checked by name and shape against the config. */
export function readLlamaWeights(dir: string, config: LlamaConfig): Record<string, Tensor> {
  const expected = expectedTensorShapes(config)
  const files = weightFiles(dir)
  const where: Record<string, string> = {}
  const tensors: Record<string, Tensor> = {}
  for (const file of files) {
    const part = readSafetensorsF32(file, (name) => name in expected)
    for (const [name, t] of Object.entries(part)) {
      const shape = expected[name]
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new LmModelError(`${file}: tensor ${name} has shape ${JSON.stringify(t.shape)}, but config.json implies ${JSON.stringify(shape)}`)
      }
      tensors[name] = t
      where[name] = file
    }
  }
  const missing = Object.keys(expected).filter((n) => !(n in tensors))
  if (missing.length) {
    const hint = missing.includes('lm_head.weight') && missing.length === 1 ? ' (set tie_word_embeddings: true in config.json if the head shares the embeddings)' : ''
    throw new LmModelError(`${files.map((f) => basename(f)).join(', ')} in ${dir}: missing ${missing.length} tensor(s), first ${missing[0]}${hint}`)
  }
  return tensors
}
