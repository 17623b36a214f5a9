import {readFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {UsageError} from '../errors.js'
import {DEFAULT_MODEL_CONFIG, type ModelConfig} from '../model/config.js'
import {childPath, configSchema, validateSchema} from './schema.js'

export {CONFIG_SCHEMA_FILE, childPath, configSchema, configSchemaPath, validateSchema} from './schema.js'
export type {JsonSchema, SchemaIssue} from './schema.js'

export const CONFIG_FILE = 'openledger.config.json'

/** `$schema` in a scaffolded project: the schema of the openledger installed in node_modules. */
export const CONFIG_SCHEMA_REF = './node_modules/openledger/schemas/openledger.config.schema.json'

export type DatanetEntry = {
  name: string
  description?: string
  modality?: 'text' | 'image' | 'audio'
  files: string[]
  textField?: string
  labelField?: string
}

export type ModelEntry = Partial<Omit<ModelConfig, 'text_field' | 'label_field'>> & {
  name: string
  datanet: string
  /** Required for a classifier (the default task); a generate model has neither. */
  text_field: string
  label_field: string
  /** "generate": a LoRA adapter on a language model ($defs/generateModel: LmHyperparameters' keys, base); absent for a classifier. */
  task?: 'generate'
  base?: string
}

export type ProjectConfig = {
  $schema?: string
  name: string
  network?: 'devnet' | 'testnet' | 'mainnet'
  datanets?: DatanetEntry[]
  models?: ModelEntry[]
  agent?: {account?: number; stake: string}
  serve?: {port?: number}
}

export type LoadedProjectConfig = {
  /** Absolute path of openledger.config.json. */
  path: string
  /** The folder holding it: file paths and globs are relative to it. */
  dir: string
  config: ProjectConfig
}

/** A config value is wrong: one line, `openledger.config.json: $.path message`, exit 2. */
export class ConfigError extends UsageError {
  override name = 'ConfigError'
  readonly jsonPath: string
  constructor(file: string, jsonPath: string, message: string, metaMessages?: string[]) {
    super(`${file}: ${jsonPath} ${message}`, {metaMessages})
    this.jsonPath = jsonPath
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position)
  const line = before.split('\n').length
  return `${line}:${position - before.lastIndexOf('\n')}`
}

/**
 * Checks a parsed config against the shipped schema, then what a schema cannot say (unique names,
 * models naming a datanet of this config). Throws a ConfigError naming the first JSON path at fault.
 */
export function validateProjectConfig(value: unknown, file = CONFIG_FILE): ProjectConfig {
  const [issue] = validateSchema(value, configSchema())
  if (issue) throw new ConfigError(file, issue.path, issue.message)
  const config = value as ProjectConfig
  const datanets = config.datanets ?? []
  const models = config.models ?? []
  const unique = (list: Array<{name: string}>, section: string) => {
    const seen = new Map<string, number>()
    list.forEach((e, i) => {
      const first = seen.get(e.name)
      if (first !== undefined)
        throw new ConfigError(
          file,
          childPath(childPath(`$.${section}`, i), 'name'),
          `"${e.name}" is already the name of $.${section}[${first}]`,
        )
      seen.set(e.name, i)
    })
  }
  unique(datanets, 'datanets')
  unique(models, 'models')
  models.forEach((m, i) => {
    if (!datanets.some((d) => d.name === m.datanet)) {
      const known = datanets.map((d) => d.name)
      throw new ConfigError(
        file,
        `$.models[${i}].datanet`,
        `"${m.datanet}" is not a datanet of this config (${known.length ? `$.datanets has ${known.join(', ')}` : '$.datanets is empty'})`,
      )
    }
  })
  return config
}

/** Reads and validates `openledger.config.json` in `dir` (or the file `configFile`), before anything runs. */
export function loadProjectConfig(dir: string = process.cwd(), configFile?: string): LoadedProjectConfig {
  const path = configFile ? join(dir, configFile) : join(dir, CONFIG_FILE)
  const shown = relative(process.cwd(), path) || CONFIG_FILE
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`${shown}: no such file`, {
        metaMessages: ['Start a project with `openledger init`, or run this in the folder that holds openledger.config.json.'],
      })
    }
    throw new UsageError(`${shown}: cannot read it (${(err as Error).message})`, {cause: err})
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    const msg = (err as Error).message
    const pos = /position (\d+)/.exec(msg)
    throw new UsageError(`${shown}${pos ? `:${lineAndColumn(text, Number(pos[1]))}` : ''}: not valid JSON (${msg.split('\n')[0]})`, {
      cause: err,
    })
  }
  return {path, dir: join(path, '..'), config: validateProjectConfig(json, shown)}
}

const MODEL_KEYS = Object.keys(DEFAULT_MODEL_CONFIG) as Array<keyof ModelConfig>

/** The full training config of a model entry: src/model's defaults, then the entry's own keys. */
export function modelConfigOf(entry: ModelEntry): ModelConfig {
  const config: Record<string, unknown> = {...DEFAULT_MODEL_CONFIG}
  for (const k of MODEL_KEYS) if (entry[k] !== undefined) config[k] = entry[k]
  return config as ModelConfig
}
