import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {UsageError} from '../errors.js'
import {readJsonFile} from '../store/atomic.js'
import {type JsonSchema, configSchema, validateSchema} from '../config/schema.js'
import type {DeviceRequest} from './backend.js'
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

/** The keys of a model section, as schemas/openledger.config.schema.json defines them ($defs/model). */
function modelKeySchemas(): Record<string, JsonSchema> {
  return configSchema().$defs!.model.properties!
}

/**
 * One model key's value checked against the config schema: `$.model.lr`-style paths for the file,
 * or the name the caller gives (a command passes its flag) for an override. Throws a UsageError.
 */
function checkModelValue(key: string, value: unknown, where: string, prefix = ''): void {
  const [issue] = validateSchema(value, configSchema(), `/$defs/model/properties/${key}`, where)
  if (issue) throw new UsageError(`${prefix}${issue.path} ${issue.message}, got ${JSON.stringify(value)}`)
}

export type ResolveModelConfigParameters = {
  /** openledger.config.json to read (default: ./openledger.config.json, if present). */
  configFile?: string
  cwd?: string
  /** Which entry of the file's `models` list (needed when it has several). */
  modelName?: string
  /** Values from flags; they win over the file. */
  overrides?: Partial<ModelConfig>
  /** How messages name each override (a command passes its flag, `--lr`); default the config key. */
  overrideNames?: Partial<Record<keyof ModelConfig, string>>
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
    if (modelName !== undefined && index < 0)
      throw new UsageError(`${file}: no model named "${modelName}" in models (known: ${names.join(', ')})`)
    if (index < 0) {
      if (entries.length === 0) return {section: {}, path: 'models', explicit: false}
      throw new UsageError(`${file} lists ${entries.length} models: choose one by name (${names.join(', ')})`)
    }
    const entry = entries[index]
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new UsageError(`${file}: models[${index}] must be an object`)
    return {section: entry, path: `models[${index}]`, explicit: true}
  }
  const m = json.model ?? {}
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new UsageError(`${file}: "model" must be an object`)
  return {section: m as Record<string, unknown>, path: 'model', explicit: json.model !== undefined}
}

/** Defaults ← the config file's model section ← flags; every value validated, naming its flag or key. */
export function resolveModelConfig(params: ResolveModelConfigParameters = {}): ModelConfig {
  const file = params.configFile ?? join(params.cwd ?? process.cwd(), 'openledger.config.json')
  if (params.configFile && readJsonFile(file) === undefined) throw new UsageError(`${params.configFile}: no such file`)
  const {section: fromFile, path} = modelSection(file, params.modelName)
  const config: Record<string, unknown> = {...DEFAULT_MODEL_CONFIG}
  const keys = Object.keys(DEFAULT_MODEL_CONFIG)
  for (const [k, v] of Object.entries(fromFile)) {
    if (k === 'datanet' || k === 'version' || k === 'name') continue // what to train and what to call it: read by the command
    if (!keys.includes(k) || !(k in modelKeySchemas()))
      throw new UsageError(`${file}: unknown key ${path}.${k} (known: ${keys.join(', ')})`)
    checkModelValue(k, v, `${path}.${k}`, `${file}: `)
    config[k] = v
  }
  for (const [k, v] of Object.entries(params.overrides ?? {})) {
    if (v === undefined) continue
    checkModelValue(k, v, params.overrideNames?.[k as keyof ModelConfig] ?? k)
    config[k] = v
  }
  return config as ModelConfig
}

/** Canonical JSON (sorted keys) for hashing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']'
  if (value && typeof value === 'object') {
    return (
      '{' +
      Object.keys(value)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k]))
        .join(',') +
      '}'
    )
  }
  return JSON.stringify(value)
}

export function sha256Hex(data: string | Uint8Array): string {
  return '0x' + createHash('sha256').update(data).digest('hex')
}

export function configHash(config: ModelConfig): string {
  return sha256Hex(canonicalJson(config))
}
