import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Ajv2020, type ErrorObject, type ValidateFunction} from 'ajv/dist/2020.js'

/**
 * schemas/openledger.config.schema.json (JSON Schema draft 2020-12), checked by Ajv. Ajv's errors
 * are turned into one line naming the JSON path at fault (`$.models[0].learning_rate must be > 0`),
 * the form every config message in this project has.
 */

export type JsonSchema = {
  $ref?: string
  type?: JsonType | JsonType[]
  enum?: unknown[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean
  items?: JsonSchema
  minItems?: number
  minLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  $defs?: Record<string, JsonSchema>
  [annotation: string]: unknown
}

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null'

export type SchemaIssue = {path: string; message: string}

export const CONFIG_SCHEMA_FILE = 'openledger.config.schema.json'

/** schemas/openledger.config.schema.json of this package (the same path from src/ and dist/). */
export function configSchemaPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas', CONFIG_SCHEMA_FILE)
}

let cached: JsonSchema | undefined
export function configSchema(): JsonSchema {
  cached ??= JSON.parse(readFileSync(configSchemaPath(), 'utf8')) as JsonSchema
  return cached
}

/** `$.models[0].learning_rate`; keys that are not identifiers are quoted: `$["my key"]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

const ARTICLE: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  null: 'null',
}

const COMPARISON: Record<string, string> = {'>=': '≥', '<=': '≤', '>': '>', '<': '<'}

let ajv: Ajv2020 | undefined
const compiled = new Map<string, ValidateFunction>()

/**
 * The validator for `schema`, or for the sub-schema at `pointer` (`#/$defs/model`). Strict mode:
 * a keyword Ajv does not know fails here rather than being skipped.
 */
function validatorFor(schema: JsonSchema, pointer = ''): ValidateFunction {
  ajv ??= new Ajv2020({allErrors: true, strict: true, verbose: true})
  const id = String(schema.$id ?? 'openledger:config')
  if (!ajv.getSchema(id)) ajv.addSchema({...schema, $id: id})
  const key = id + '#' + pointer
  let v = compiled.get(key)
  if (!v) {
    v = ajv.getSchema(key)
    if (!v) throw new Error(`schema: no sub-schema at #${pointer}`)
    compiled.set(key, v)
  }
  return v
}

/** Ajv's instancePath (a JSON pointer) as `$.a[0]["b c"]`, walking the value so that array indexes are told from keys. */
function jsonPath(value: unknown, pointer: string, base: string): string {
  let path = base
  let at = value
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(at)) {
      path = childPath(path, Number(key))
      at = at[Number(key)]
    } else {
      path = childPath(path, key)
      at = (at as Record<string, unknown> | undefined)?.[key]
    }
  }
  return path
}

function issueOf(value: unknown, e: ErrorObject, base: string): SchemaIssue {
  const path = jsonPath(value, e.instancePath, base)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'type':
      return {
        path,
        message: `must be ${String(p.type)
          .split(',')
          .map((t) => ARTICLE[t] ?? t)
          .join(' or ')}`,
      }
    case 'enum':
      return {path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`}
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {path, message: `must be ${COMPARISON[String(p.comparison)]} ${p.limit}`}
    case 'minLength':
      return {path, message: p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters`}
    case 'pattern':
      return {path, message: `must match ${p.pattern} (got ${JSON.stringify(e.data)})`}
    case 'minItems':
      return {path, message: `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`}
    case 'required':
      return {path: childPath(path, String(p.missingProperty)), message: 'is required'}
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema as JsonSchema | undefined)?.properties ?? {})
      return {path: childPath(path, String(p.additionalProperty)), message: `is not a known key (known: ${known.join(', ')})`}
    }
    default:
      return {path, message: e.message ?? `fails ${e.keyword}`}
  }
}

/** Rank of an error: a wrong type or value says more than what follows from it (a missing key of a non-object). */
const SPECIFIC_FIRST = ['type', 'enum', 'additionalProperties', 'required']

/**
 * Every problem with `value` against `schema` (or its sub-schema at `pointer`, e.g. `/$defs/model`),
 * each with the JSON path at fault, starting from `base` (`$`). The first is the one to report: errors
 * at the shallowest path first, a wrong type before the range checks that cannot apply to it.
 */
export function validateSchema(value: unknown, schema: JsonSchema, pointer = '', base = '$'): SchemaIssue[] {
  const validate = validatorFor(schema, pointer)
  if (validate(value)) return []
  // An if/then/else (a generate model entry or a classifier one) adds a "must match then/else"
  // error beside the branch's own errors, which say what is wrong: keep those.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if')
  // Where a value has the wrong type, only that is said about it (as before: nothing else can apply).
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath))
  const kept = errors.filter((e) => e.keyword === 'type' || !wrongType.has(e.instancePath))
  const order = (e: ErrorObject) =>
    [
      e.instancePath.split('/').length,
      SPECIFIC_FIRST.includes(e.keyword) ? SPECIFIC_FIRST.indexOf(e.keyword) : SPECIFIC_FIRST.length,
    ] as const
  kept.sort((a, b) => {
    const [da, ka] = order(a)
    const [db, kb] = order(b)
    return da - db || ka - kb
  })
  return kept.map((e) => issueOf(value, e, base))
}
