import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {Ajv2020} from 'ajv/dist/2020.js'
import {getAddress} from 'viem'
import {expect} from 'vitest'

export const SCHEMAS_DIR = join(import.meta.dirname, '..', '..', 'schemas')

/** `schemas/commands/<id with spaces as dashes>.schema.json`: `datanet publish` → `datanet-publish.schema.json`. */
export function commandSchemaFile(commandId: string): string {
  return join(
    SCHEMAS_DIR,
    'commands',
    `${commandId
      .trim()
      .split(/[\s:]+/)
      .join('-')}.schema.json`,
  )
}

let ajv: Ajv2020 | undefined

/** One Ajv for the run, with every shipped schema loaded (they `$ref` the shared definitions). */
function validator(): Ajv2020 {
  if (ajv) return ajv
  ajv = new Ajv2020({allErrors: true, strict: true})
  // Checksummed (EIP-55) addresses: a pattern cannot check the case, so the format does.
  ajv.addFormat('eip55-address', (s: string) => {
    try {
      return getAddress(s) === s
    } catch {
      return false
    }
  })
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS_DIR, 'definitions.schema.json'), 'utf8')))
  for (const f of readdirSync(join(SCHEMAS_DIR, 'commands')))
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS_DIR, 'commands', f), 'utf8')))
  return ajv
}

/** The errors of `json` against a command's schema (its `{"error":…}` form against the shared one), as lines. */
export function schemaErrors(commandId: string, json: unknown): string[] {
  const file = commandSchemaFile(commandId)
  if (!existsSync(file)) return [`no schema for "${commandId}": ${file} is missing`]
  const isError = json !== null && typeof json === 'object' && !Array.isArray(json) && Object.keys(json).length === 1 && 'error' in json
  const id = isError
    ? 'https://openledger.xyz/schemas/definitions.schema.json#/$defs/error'
    : (JSON.parse(readFileSync(file, 'utf8')).$id as string)
  const validate = validator().getSchema(id)
  if (!validate) return [`schema ${id} did not load`]
  if (validate(json)) return []
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`,
  )
}

/** Asserts that a command's `--json` output (parsed) matches `schemas/commands/<command>.schema.json`. */
export function expectSchema(commandId: string, json: unknown): void {
  expect(json, `${commandId} --json printed no JSON`).toBeDefined()
  expect(schemaErrors(commandId, json), `${commandId} --json against ${commandSchemaFile(commandId)}`).toEqual([])
}
