import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {UsageError} from '../errors.js'
import {readJsonFile} from '../store/atomic.js'
import {DEVICES, type DeviceRequest} from './backend.js'
import {DEFAULT_HYPERPARAMETERS, type TrainHyperparameters} from './fit.js'

/** The `model` section of openledger.config.json: hyperparameters plus what to train on. */
export type ModelConfig = TrainHyperparameters & {
  text_field: string
  label_field: string
  /** `builtin`, a local folder, or a Hugging Face id. */
  encoder: string
  device: DeviceRequest
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  ...DEFAULT_HYPERPARAMETERS,
  text_field: 'text',
  label_field: 'label',
  encoder: 'builtin',
  device: 'auto',
}

type Rule = {flag: string; check: (v: unknown) => boolean; want: string}
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: unknown) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max
const RULES: Record<keyof ModelConfig, Rule> = {
  learning_rate: {flag: '--lr', check: (v) => typeof v === 'number' && v > 0 && v < 10, want: 'a number in (0, 10)'},
  num_train_epochs: {flag: '--epochs', check: int(1, 100_000), want: 'an integer ≥ 1'},
  per_device_train_batch_size: {flag: '--batch-size', check: int(1, 1 << 20), want: 'an integer ≥ 1'},
  lora_rank: {flag: '--adapter-rank', check: int(1, 1024), want: 'an integer from 1 to 1024'},
  val_size: {flag: '--val-size', check: (v) => typeof v === 'number' && v >= 0 && v < 1, want: 'a fraction in [0, 1)'},
  seed: {flag: '--seed', check: int(0, 2 ** 32 - 1), want: 'an integer from 0 to 2^32-1'},
  weight_decay: {flag: '--weight-decay', check: (v) => typeof v === 'number' && v >= 0 && v < 10, want: 'a number ≥ 0'},
  lr_scheduler_type: {flag: '--lr-scheduler', check: (v) => v === 'constant' || v === 'linear' || v === 'cosine', want: 'constant, linear or cosine'},
  early_stopping_patience: {flag: '--patience', check: int(0, 100_000), want: 'an integer ≥ 0 (0: never stop early)'},
  text_field: {flag: '--text-field', check: (v) => typeof v === 'string' && v !== '', want: 'a field name'},
  label_field: {flag: '--label-field', check: (v) => typeof v === 'string' && v !== '', want: 'a field name'},
  encoder: {flag: '--encoder', check: (v) => typeof v === 'string' && v !== '', want: '"builtin", a folder or a Hugging Face id'},
  device: {flag: '--device', check: (v) => (DEVICES as readonly unknown[]).includes(v), want: DEVICES.join(', ')},
}

export type ResolveModelConfigParameters = {
  /** openledger.config.json to read (default: ./openledger.config.json, if present). */
  configFile?: string
  cwd?: string
  /** Which entry of the file's `models` list (needed when it has several). */
  modelName?: string
  /** Values from flags; they win over the file. */
  overrides?: Partial<ModelConfig>
}

/**
 * The model's section of openledger.config.json: an entry of its `models` list (the project format
 * `init` writes and `dev` runs; chosen by name when there are several), or a single `model` object.
 * Returns the section and the JSON path used in messages.
 */
export function modelSection(file: string, modelName?: string): {section: Record<string, unknown>; path: string; explicit: boolean} {
  const json = readJsonFile<{model?: unknown; models?: unknown}>(file)
  if (json === undefined) return {section: {}, path: 'model', explicit: false}
  if (Array.isArray(json.models)) {
    const entries = json.models as Array<Record<string, unknown>>
    const names = entries.map((m) => String(m?.name))
    let index = modelName === undefined ? (entries.length === 1 ? 0 : -1) : names.indexOf(modelName)
    if (modelName !== undefined && index < 0) throw new UsageError(`${file}: no model named "${modelName}" in models (known: ${names.join(', ')})`)
    if (index < 0) {
      if (entries.length === 0) return {section: {}, path: 'models', explicit: false}
      throw new UsageError(`${file} lists ${entries.length} models: choose one with --model-name (${names.join(', ')})`)
    }
    const entry = entries[index]
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new UsageError(`${file}: models[${index}] must be an object`)
    return {section: entry, path: `models[${index}]`, explicit: true}
  }
  const m = json.model ?? {}
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new UsageError(`${file}: "model" must be an object`)
  return {section: m as Record<string, unknown>, path: 'model', explicit: json.model !== undefined}
}

/** Defaults ← the config file's model section ← flags; every value validated, naming its flag or key. */
export function resolveModelConfig(params: ResolveModelConfigParameters = {}): ModelConfig {
  const file = params.configFile ?? join(params.cwd ?? process.cwd(), 'openledger.config.json')
  if (params.configFile && readJsonFile(file) === undefined) throw new UsageError(`--config ${params.configFile}: no such file`)
  const {section: fromFile, path} = modelSection(file, params.modelName)
  const config: Record<string, unknown> = {...DEFAULT_MODEL_CONFIG}
  for (const [k, v] of Object.entries(fromFile)) {
    if (k === 'datanet' || k === 'version' || k === 'name') continue // what to train and what to call it: read by the command
    if (!(k in RULES)) throw new UsageError(`${file}: unknown key ${path}.${k} (known: ${Object.keys(RULES).join(', ')})`)
    if (!RULES[k as keyof ModelConfig].check(v)) throw new UsageError(`${file}: ${path}.${k} must be ${RULES[k as keyof ModelConfig].want}, got ${JSON.stringify(v)}`)
    config[k] = v
  }
  for (const [k, v] of Object.entries(params.overrides ?? {})) {
    if (v === undefined) continue
    const rule = RULES[k as keyof ModelConfig]
    if (!rule.check(v)) throw new UsageError(`${rule.flag} must be ${rule.want}, got ${JSON.stringify(v)}`)
    config[k] = v
  }
  return config as ModelConfig
}

/** Canonical JSON (sorted keys) for hashing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']'
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k])).join(',') + '}'
  }
  return JSON.stringify(value)
}

export function sha256Hex(data: string | Uint8Array): string {
  return '0x' + createHash('sha256').update(data).digest('hex')
}

export function configHash(config: ModelConfig): string {
  return sha256Hex(canonicalJson(config))
}
