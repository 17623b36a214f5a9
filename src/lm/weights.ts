import {existsSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {FLOAT_DTYPES, isFloatDType, widenHalfBits} from '../model/half.js'
import {SafetensorsFile, type Tensor} from '../model/safetensors.js'
import {CorruptFileError} from '../store/atomic.js'
import {type LlamaConfig, expectedTensorShapes} from './config.js'
import {LmModelError} from './errors.js'

/**
 * Reads one safetensors file through the project's reader, widening F16/BF16 to f32; only the
 * tensors `wanted` keeps are read from disk. Errors name the file and the tensor.
 */
export function readSafetensorsF32(file: string, wanted?: (name: string) => boolean): Record<string, Tensor> {
  let st: SafetensorsFile
  try {
    st = SafetensorsFile.open(file)
  } catch (err) {
    if (err instanceof CorruptFileError)
      throw new LmModelError(`${file}: not a safetensors file (${err.shortMessage.replace(`${file} is corrupt: `, '')})`, {cause: err})
    throw new LmModelError(`${file} cannot be read`, {cause: err})
  }
  try {
    const out: Record<string, Tensor> = {}
    for (const [name, info] of st.tensors) {
      if (wanted && !wanted(name)) continue
      if (!isFloatDType(info.dtype))
        throw new LmModelError(`${file}: tensor ${name} has dtype ${info.dtype}; supported: ${FLOAT_DTYPES.join(', ')}`)
      const data = info.dtype === 'F32' ? st.read<'F32'>(name) : widenHalfBits(info.dtype, st.read<'F16'>(name))
      out[name] = {shape: info.shape, data}
    }
    return out
  } finally {
    st.close()
  }
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
        throw new LmModelError(
          `${file}: tensor ${name} has shape ${JSON.stringify(t.shape)}, but config.json implies ${JSON.stringify(shape)}`,
        )
      }
      tensors[name] = t
      where[name] = file
    }
  }
  const missing = Object.keys(expected).filter((n) => !(n in tensors))
  if (missing.length) {
    const hint =
      missing.includes('lm_head.weight') && missing.length === 1
        ? ' (set tie_word_embeddings: true in config.json if the head shares the embeddings)'
        : ''
    throw new LmModelError(
      `${files.map((f) => basename(f)).join(', ')} in ${dir}: missing ${missing.length} tensor(s), first ${missing[0]}${hint}`,
    )
  }
  return tensors
}
