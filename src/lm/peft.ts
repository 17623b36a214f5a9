/**
 * LoRA adapters in PEFT's file layout, so PEFT, vLLM and LoRAX load what openledger trains:
 * `adapter_config.json` (LoraConfig's fields as PEFT 0.18 saves them) and `adapter_model.safetensors`
 * with keys `base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight` (A: [r, in]) and
 * `...lora_B.weight` (B: [out, r]); output += (lora_alpha / r) · B A x.
 *
 * The base is named by content: the sha256 of its weight files goes into the safetensors
 * `__metadata__` (which PEFT ignores and keeps `adapter_config.json` exactly PEFT's) and the card.
 */
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'

import {UsageError} from '../errors.js'
import {FLOAT_DTYPES, isFloatDType, toFloat32} from '../model/half.js'
import {decodeSafetensorsRaw, encodeSafetensors, type Tensor} from '../model/safetensors.js'
import {writeFileAtomic, writeJsonAtomic} from '../store/atomic.js'
import {type LlamaShape, llamaShape, readLlamaConfig} from './config.js'
import {LORA_TARGETS, type LoraTarget, isLoraTarget, moduleOf, peftTensorName, projectionSize} from './lora-targets.js'
import {readJson} from './read-json.js'
import {weightFiles} from './weights.js'

export {DEFAULT_LORA_TARGETS, LORA_TARGETS, type LoraTarget, peftTensorName, projectionSize} from './lora-targets.js'

export const ADAPTER_CONFIG_FILE = 'adapter_config.json'
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors'
/** The `__metadata__` key holding the base's content hash. */
export const BASE_SHA256_KEY = 'openledger.base_sha256'

export type LoraSettings = {
  r: number
  alpha: number
  dropout: number
  targetModules: LoraTarget[]
  /** What PEFT records as base_model_name_or_path (a hub id or a folder name). */
  baseModel: string
  /** sha256 of the base's weight files (baseWeightsSha256). */
  baseSha256: string
}

export type LoraWeight = {layer: number; module: LoraTarget; a: Tensor; b: Tensor}

export type PeftAdapter = {settings: LoraSettings; weights: LoraWeight[]}

const KEY = /^base_model\.model\.model\.layers\.(\d+)\.(self_attn|mlp)\.([a-z_]+)\.lora_(A|B)\.weight$/

/** `adapter_config.json` as PEFT 0.18.1's LoraConfig saves it (every field, PEFT's defaults). */
export function peftAdapterConfig(s: LoraSettings): Record<string, unknown> {
  return {
    alora_invocation_tokens: null,
    alpha_pattern: {},
    arrow_config: null,
    auto_mapping: null,
    base_model_name_or_path: s.baseModel,
    bias: 'none',
    corda_config: null,
    ensure_weight_tying: false,
    eva_config: null,
    exclude_modules: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: s.alpha,
    lora_bias: false,
    lora_dropout: s.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    peft_version: '0.18.1',
    qalora_group_size: 16,
    r: s.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...s.targetModules],
    target_parameters: null,
    task_type: 'CAUSAL_LM',
    trainable_token_indices: null,
    use_dora: false,
    use_qalora: false,
    use_rslora: false,
  }
}

/**
 * The base's identity by content: sha256 of model.safetensors, or for a sharded base the sha256 of
 * "<shard> <sha256 of shard>\n" lines in name order.
 */
export function baseWeightsSha256(baseDir: string): string {
  const files = weightFiles(baseDir)
  const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
  if (files.length === 1 && basename(files[0]) === 'model.safetensors') return hash(files[0])
  const lines = files.map((file) => [basename(file), file]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('sha256')
    .update(lines.map(([shard, file]) => `${shard} ${hash(file)}\n`).join(''))
    .digest('hex')
}

function checkSettings(s: LoraSettings, where: string): void {
  if (!Number.isInteger(s.r) || s.r < 1) throw new UsageError(`${where}: r must be a positive integer, got ${JSON.stringify(s.r)}`)
  if (typeof s.alpha !== 'number' || !(s.alpha > 0))
    throw new UsageError(`${where}: lora_alpha must be a positive number, got ${JSON.stringify(s.alpha)}`)
  if (typeof s.dropout !== 'number' || !(s.dropout >= 0 && s.dropout < 1))
    throw new UsageError(`${where}: lora_dropout must be in [0, 1), got ${JSON.stringify(s.dropout)}`)
  if (!Array.isArray(s.targetModules) || s.targetModules.length === 0)
    throw new UsageError(`${where}: target_modules must name at least one of ${LORA_TARGETS.join(', ')}`)
  for (const m of s.targetModules) {
    if (!LORA_TARGETS.includes(m))
      throw new UsageError(`${where}: unknown target module ${JSON.stringify(m)} (known: ${LORA_TARGETS.join(', ')})`)
  }
}

/** Checks every tensor against r and, when given, the base's shapes; names the file at fault. */
function checkWeights(weights: LoraWeight[], s: LoraSettings, where: string, base?: LlamaShape): void {
  const seen = new Set<string>()
  for (const w of weights) {
    const label = peftTensorName(w.layer, w.module, 'A').replace('.lora_A.weight', '')
    if (!s.targetModules.includes(w.module))
      throw new UsageError(`${where}: ${label} is not in target_modules ${JSON.stringify(s.targetModules)}`)
    if (seen.has(label)) throw new UsageError(`${where}: ${label} appears twice`)
    seen.add(label)
    const [ar, ain] = w.a.shape
    const [bout, br] = w.b.shape
    if (w.a.shape.length !== 2 || w.b.shape.length !== 2) throw new UsageError(`${where}: ${label} lora_A and lora_B must be matrices`)
    if (ar !== s.r || br !== s.r)
      throw new UsageError(`${where}: ${label} has rank ${ar}/${br} (lora_A rows / lora_B columns) but r is ${s.r}`)
    if (base) {
      if (w.layer >= base.layers) throw new UsageError(`${where}: ${label} is in layer ${w.layer} but the base has ${base.layers} layers`)
      const size = projectionSize(w.module, base)
      if (ain !== size.in || bout !== size.out) {
        throw new UsageError(`${where}: ${label} maps ${ain} → ${bout} but the base's ${w.module} maps ${size.in} → ${size.out}`)
      }
    }
  }
}

/** Writes adapter_config.json, adapter_model.safetensors and a README.md card, each file whole. */
export function writePeftAdapter(dir: string, adapter: PeftAdapter, options: {card?: string; base?: LlamaShape} = {}): void {
  checkSettings(adapter.settings, dir)
  checkWeights(adapter.weights, adapter.settings, dir, options.base)
  const tensors: Record<string, Tensor> = {}
  for (const w of adapter.weights) {
    tensors[peftTensorName(w.layer, w.module, 'A')] = w.a
    tensors[peftTensorName(w.layer, w.module, 'B')] = w.b
  }
  // PEFT's own metadata is {"format": "pt"}; the base hash rides beside it.
  writeFileAtomic(
    join(dir, ADAPTER_WEIGHTS_FILE),
    encodeSafetensors(tensors, {format: 'pt', [BASE_SHA256_KEY]: adapter.settings.baseSha256}),
  )
  writeJsonAtomic(join(dir, ADAPTER_CONFIG_FILE), peftAdapterConfig(adapter.settings))
  const card =
    options.card ??
    [
      '---',
      `base_model: ${adapter.settings.baseModel}`,
      'library_name: peft',
      'tags:',
      '- lora',
      '---',
      '',
      '# LoRA adapter',
      '',
      `Base: ${adapter.settings.baseModel} (weights sha256 ${adapter.settings.baseSha256}).`,
      `LoRA r = ${adapter.settings.r}, alpha = ${adapter.settings.alpha}, dropout = ${adapter.settings.dropout}, on ${adapter.settings.targetModules.join(', ')}.`,
      '',
    ].join('\n')
  writeFileAtomic(join(dir, 'README.md'), card)
}

/**
 * Reads a PEFT LoRA folder (ours or PEFT's own; F32/F16/BF16 tensors). With `baseDir`, checks every
 * shape against the base's config.json and, when the adapter names its base by hash, that hash.
 * Errors are one line naming the file.
 */
export function readPeftAdapter(dir: string, options: {baseDir?: string} = {}): PeftAdapter {
  const configPath = join(dir, ADAPTER_CONFIG_FILE)
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE)
  const raw = readJson<Record<string, unknown>>(configPath)
  if (raw.peft_type !== 'LORA') throw new UsageError(`${configPath}: peft_type is ${JSON.stringify(raw.peft_type)}, not "LORA"`)
  for (const [key, ok] of [
    ['use_dora', raw.use_dora !== true],
    ['fan_in_fan_out', raw.fan_in_fan_out !== true],
    ['use_rslora', raw.use_rslora !== true],
    ['bias', raw.bias === undefined || raw.bias === 'none'],
  ] as const) {
    if (!ok) throw new UsageError(`${configPath}: ${key} = ${JSON.stringify(raw[key])} is not supported`)
  }
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = raw[key]
    if (v && typeof v === 'object' && Object.keys(v).length > 0) throw new UsageError(`${configPath}: ${key} is not supported`)
  }
  if (typeof raw.target_modules === 'string')
    throw new UsageError(
      `${configPath}: target_modules must be a list of module names, got the pattern ${JSON.stringify(raw.target_modules)}`,
    )
  if (!existsSync(weightsPath)) throw new UsageError(`${weightsPath} is missing`)
  let decoded: ReturnType<typeof decodeSafetensorsRaw>
  try {
    decoded = decodeSafetensorsRaw(new Uint8Array(readFileSync(weightsPath)))
  } catch (err) {
    throw new UsageError(`${weightsPath} is not a readable safetensors file (${(err as Error).message})`, {cause: err})
  }
  const settings: LoraSettings = {
    r: raw.r as number,
    alpha: raw.lora_alpha as number,
    dropout: (raw.lora_dropout as number) ?? 0,
    targetModules: (raw.target_modules as LoraTarget[]) ?? [],
    baseModel: String(raw.base_model_name_or_path ?? ''),
    baseSha256: decoded.metadata?.[BASE_SHA256_KEY] ?? '',
  }
  checkSettings(settings, configPath)
  const pairs = new Map<string, Partial<LoraWeight>>()
  for (const [name, t] of Object.entries(decoded.tensors)) {
    const m = KEY.exec(name)
    if (!m || !isLoraTarget(m[3]) || moduleOf(m[3]) !== m[2])
      throw new UsageError(
        `${weightsPath}: tensor ${name} is not a LoRA weight of a Llama projection (expected ${peftTensorName(0, 'q_proj', 'A')} and the like)`,
      )
    const key = `${m[1]}.${m[3]}`
    const entry = pairs.get(key) ?? {layer: Number(m[1]), module: m[3] as LoraTarget}
    if (!isFloatDType(t.dtype))
      throw new UsageError(`${weightsPath}: tensor ${name} has dtype ${t.dtype}; supported: ${FLOAT_DTYPES.join(', ')}`)
    entry[m[4] === 'A' ? 'a' : 'b'] = {shape: t.shape, data: toFloat32(t)}
    pairs.set(key, entry)
  }
  const weights: LoraWeight[] = []
  for (const [key, w] of pairs) {
    if (!w.a || !w.b) throw new UsageError(`${weightsPath}: ${key} has lora_${w.a ? 'B' : 'A'} missing`)
    weights.push(w as LoraWeight)
  }
  weights.sort((x, y) => x.layer - y.layer || LORA_TARGETS.indexOf(x.module) - LORA_TARGETS.indexOf(y.module))
  const base = options.baseDir ? llamaShape(readLlamaConfig(options.baseDir)) : undefined
  checkWeights(weights, settings, weightsPath, base)
  if (options.baseDir && settings.baseSha256) {
    // Same shapes are not the same model: an adapter only means something on the weights it was trained on.
    const actual = baseWeightsSha256(options.baseDir)
    if (actual !== settings.baseSha256) {
      throw new UsageError(
        `${weightsPath}: trained on a base whose weights hash to ${settings.baseSha256.slice(0, 12)}…, but ${options.baseDir} hashes to ${actual.slice(0, 12)}…`,
      )
    }
  }
  return {settings, weights}
}
