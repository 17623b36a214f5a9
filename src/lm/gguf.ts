/**
 * GGUF export for llama.cpp (and the engines built on it): a Hugging Face Llama base folder as a
 * "llama" model file, and a PEFT LoRA adapter as a llama.cpp LoRA adapter file that loads on top of
 * that export (`general.type = "adapter"`, tensors `<base tensor>.lora_a` / `.lora_b`).
 */
import {existsSync} from 'node:fs'
import {basename, join, resolve} from 'node:path'

import {toFloat16Bytes} from '../model/half.js'
import {writeFileAtomic} from '../store/atomic.js'
import {llamaShape, readLlamaConfig} from './config.js'
import {ggufTensorName, llamaHyperParameters, permuteForRope, ropeHeads} from './gguf/llama.js'
import {type TokenizerConfigJson, type TokenizerJson, ggufTokenizerMetadata} from './gguf/tokenizer.js'
import {GgmlType, type GgufTensor, type GgufValue, encodeGguf} from './gguf/writer.js'
import {readPeftAdapter} from './peft.js'
import {readJson} from './read-json.js'
import {readLlamaWeights} from './weights.js'

export type GgufDtype = 'f32' | 'f16'

export type GgufExport = {path: string; tensors: number; bytes: number}

/** llama_ftype: all F32 = 0, mostly F16 = 1. */
const FILE_TYPE: Record<GgufDtype, number> = {f32: 0, f16: 1}

function matrixTensor(name: string, shape: number[], data: Float32Array, dtype: GgufDtype): GgufTensor {
  // Vectors (norm weights) stay F32: llama.cpp adds and multiplies them in F32.
  if (dtype === 'f16' && shape.length === 2) return {name, shape, type: GgmlType.F16, bytes: toFloat16Bytes(data)}
  return {name, shape, type: GgmlType.F32, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)}
}

/** The GGUF bytes of a Hugging Face Llama folder (config.json, safetensors, tokenizer.json). */
export function encodeBaseGguf(baseDir: string, options: {dtype?: GgufDtype; name?: string} = {}): Uint8Array {
  const dtype = options.dtype ?? 'f16'
  const config = readLlamaConfig(baseDir)
  const shape = llamaShape(config)
  const weights = readLlamaWeights(baseDir, config)
  const tokenizerPath = join(baseDir, 'tokenizer.json')
  const tokenizer = readJson<TokenizerJson>(tokenizerPath)
  const tokConfigPath = join(baseDir, 'tokenizer_config.json')
  const tokConfig: TokenizerConfigJson = existsSync(tokConfigPath) ? readJson(tokConfigPath) : {}

  const tensors: GgufTensor[] = []
  // readLlamaWeights checks every tensor config.json implies by name and shape, and widens F16/BF16
  // to f32 exactly; narrowing back to F16 below gives the stored bits again.
  for (const [hfName, t] of Object.entries(weights)) {
    const name = ggufTensorName(hfName)
    if (!name) throw new Error(`${hfName} has no GGUF name`) // expectedTensorShapes and ggufTensorName disagree
    let data = t.data
    const module = /\.(q_proj|k_proj)\.weight$/.exec(hfName)?.[1]
    const heads = module ? ropeHeads(module, shape) : undefined
    if (heads) data = permuteForRope(data, t.shape[0], t.shape[1], heads)
    tensors.push(matrixTensor(name, t.shape, data, dtype))
  }
  // llama.cpp loads tensors in any order; a stable order makes exports byte-identical.
  tensors.sort((a, b) => tensorOrder(a.name) - tensorOrder(b.name) || a.name.localeCompare(b.name))

  const metadata: [string, GgufValue][] = [
    ['general.architecture', {type: 'string', value: 'llama'}],
    ['general.type', {type: 'string', value: 'model'}],
    ['general.name', {type: 'string', value: options.name ?? basename(resolve(baseDir))}],
    ['general.file_type', {type: 'u32', value: FILE_TYPE[dtype]}],
    ...llamaHyperParameters(config, shape),
    ...ggufTokenizerMetadata(tokenizer, tokConfig, config, tokenizerPath),
  ]
  return encodeGguf(metadata, tensors)
}

function tensorOrder(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name)
  if (m) return 1 + Number(m[1])
  return name === 'token_embd.weight' ? 0 : 1e9
}

const GGUF_PROJECTION: Record<string, string> = {
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  o_proj: 'attn_output',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  down_proj: 'ffn_down',
}

/**
 * The GGUF bytes of a PEFT LoRA adapter for llama.cpp. B's rows of q/k get the same rotary
 * reordering as the base's q/k, so B·A stays the update of the exported weight. Shapes are
 * checked against the base's config.json first.
 */
export function encodeLoraGguf(adapterDir: string, baseDir: string, options: {dtype?: GgufDtype} = {}): Uint8Array {
  const dtype = options.dtype ?? 'f32'
  const adapter = readPeftAdapter(adapterDir, {baseDir})
  const shape = llamaShape(readLlamaConfig(baseDir))
  const tensors: GgufTensor[] = []
  for (const w of adapter.weights) {
    const base = `blk.${w.layer}.${GGUF_PROJECTION[w.module]}.weight`
    const heads = ropeHeads(w.module, shape)
    const b = heads ? permuteForRope(w.b.data, w.b.shape[0], w.b.shape[1], heads) : w.b.data
    tensors.push(matrixTensor(`${base}.lora_a`, w.a.shape, w.a.data, dtype), matrixTensor(`${base}.lora_b`, w.b.shape, b, dtype))
  }
  const metadata: [string, GgufValue][] = [
    ['general.architecture', {type: 'string', value: 'llama'}],
    ['general.type', {type: 'string', value: 'adapter'}],
    ['general.name', {type: 'string', value: basename(resolve(adapterDir))}],
    ['general.file_type', {type: 'u32', value: FILE_TYPE[dtype]}],
    ['adapter.type', {type: 'string', value: 'lora'}],
    ['adapter.lora.alpha', {type: 'f32', value: adapter.settings.alpha}],
  ]
  return encodeGguf(metadata, tensors)
}

/** Writes the base as GGUF (whole file, atomically). Default f16, as the base ships. */
export function exportBaseGguf(baseDir: string, outFile: string, options: {dtype?: GgufDtype; name?: string} = {}): GgufExport {
  const bytes = encodeBaseGguf(baseDir, options)
  writeFileAtomic(outFile, bytes)
  return {path: outFile, tensors: countTensors(bytes), bytes: bytes.length}
}

/** Writes a PEFT adapter as a llama.cpp LoRA GGUF (whole file, atomically). Default f32. */
export function exportLoraGguf(adapterDir: string, baseDir: string, outFile: string, options: {dtype?: GgufDtype} = {}): GgufExport {
  const bytes = encodeLoraGguf(adapterDir, baseDir, options)
  writeFileAtomic(outFile, bytes)
  return {path: outFile, tensors: countTensors(bytes), bytes: bytes.length}
}

function countTensors(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(8, true))
}
