import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * A validator for the subset of JSON Schema (draft 2020-12) that schemas/openledger.config.schema.json
 * uses: type, enum, properties, required, additionalProperties (false), items, minItems, minLength,
 * pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum and local $ref (#/$defs/…).
 * Annotations (title, description, default, $id, $schema) are ignored. A keyword outside the subset
 * makes `checkSupported` fail, so the schema cannot grow a rule the validator would skip.
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

export const SUPPORTED_KEYWORDS = new Set([
  '$ref', 'type', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'minLength', 'pattern',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', '$defs',
  '$schema', '$id', 'title', 'description', 'default', 'examples',
])

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

const ARTICLE: Record<JsonType, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  null: 'null',
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value as JsonType
}

function matchesType(value: unknown, type: JsonType): boolean {
  const actual = typeOf(value)
  return actual === type || (type === 'number' && actual === 'integer')
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  const m = /^#\/\$defs\/([^/]+)$/.exec(ref)
  const target = m ? root.$defs?.[m[1]] : undefined
  if (!target) throw new Error(`schema: unsupported or unknown $ref ${ref}`)
  return target
}

/** Every problem with `value`, in document order; the first is the one to report. */
export function validateSchema(value: unknown, schema: JsonSchema, root: JsonSchema = schema, path = '$'): SchemaIssue[] {
  if (schema.$ref) {
    const {$ref, ...rest} = schema
    return [...validateSchema(value, resolveRef(root, $ref), root, path), ...validateSchema(value, rest, root, path)]
  }
  const issues: SchemaIssue[] = []
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    if (!types.some((t) => matchesType(value, t))) {
      return [{path, message: `must be ${types.map((t) => ARTICLE[t]).join(' or ')}`}]
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    return [{path, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`}]
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) issues.push({path, message: `must be ≥ ${schema.minimum}`})
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) issues.push({path, message: `must be > ${schema.exclusiveMinimum}`})
    if (schema.maximum !== undefined && value > schema.maximum) issues.push({path, message: `must be ≤ ${schema.maximum}`})
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) issues.push({path, message: `must be < ${schema.exclusiveMaximum}`})
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) {
      issues.push({path, message: schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`})
    } else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      issues.push({path, message: `must match ${schema.pattern} (got ${JSON.stringify(value)})`})
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      issues.push({path, message: `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`})
    }
    if (schema.items) value.forEach((item, i) => issues.push(...validateSchema(item, schema.items!, root, childPath(path, i))))
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>
    const props = schema.properties ?? {}
    for (const key of Object.keys(obj)) {
      if (key in props) issues.push(...validateSchema(obj[key], props[key], root, childPath(path, key)))
      else if (schema.additionalProperties === false) {
        issues.push({path: childPath(path, key), message: `is not a known key (known: ${Object.keys(props).join(', ')})`})
      }
    }
    for (const key of schema.required ?? []) {
      if (!(key in obj)) issues.push({path: childPath(path, key), message: 'is required'})
    }
  }
  return issues
}

/** Keywords in `schema` that `validateSchema` does not implement (with where they are). */
export function checkSupported(schema: unknown, path = '#'): string[] {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return []
  const out: string[] = []
  for (const [k, v] of Object.entries(schema)) {
    if (!SUPPORTED_KEYWORDS.has(k)) out.push(`${path}/${k}`)
    if (k === 'properties' || k === '$defs') for (const [name, sub] of Object.entries(v as object)) out.push(...checkSupported(sub, `${path}/${k}/${name}`))
    if (k === 'items') out.push(...checkSupported(v, `${path}/items`))
  }
  return out
}
