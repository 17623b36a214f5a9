/**
 * Editing a datanet's draft through the CLI: `datanet remove`, `datanet unstage`, `datanet add
 * --strict-fields` and the new-field warning, and `datanet add <name> -` (stdin, through bin/run.js).
 * In-process commands run against a real anvil with every contract deployed (publish needs it),
 * which a devnet state file (OPENLEDGER_STATE_DIR) points at.
 */
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import type {Config} from '@oclif/core'
import {execa} from 'execa'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import DatanetAdd from '../../src/commands/datanet/add.js'
import DatanetCreate from '../../src/commands/datanet/create.js'
import DatanetPublish from '../../src/commands/datanet/publish.js'
import DatanetRecords from '../../src/commands/datanet/records.js'
import DatanetRemove from '../../src/commands/datanet/remove.js'
import DatanetUnstage from '../../src/commands/datanet/unstage.js'
import {DatanetStore, recordHash} from '../../src/datanet/index.js'
import {BIN} from '../helpers/cli.js'
import type {Protocol} from '../helpers/contracts.js'
import {type ProtocolWorkspace, openProtocolWorkspace} from '../helpers/protocol-workspace.js'
import {TEST_CACHE_DIR} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'

let ws: ProtocolWorkspace
let p: Protocol
let config: Config
let dir: string
let stateDir: string

beforeAll(async () => {
  ws = await openProtocolWorkspace('openledger-draft-edit-')
  ;({p, config, dir, stateDir} = ws)
})
afterAll(() => ws?.close())

const run = (command: {run(argv: string[], config: Config): Promise<unknown>}, argv: string[]) => ws.run(command, argv)
const file = (name: string, content: string) => ws.file(name, content)

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r) + '\n').join('')

/** Every file under the datanet's folder with its bytes: "unchanged" means this is equal. */
function snapshot(name: string): Record<string, string> {
  const root = new DatanetStore(name, stateDir).dir
  const out: Record<string, string> = {}
  for (const f of readdirSync(root, {recursive: true, withFileTypes: true})) {
    if (f.isFile() && f.name !== '.lock')
      out[join(f.parentPath, f.name).slice(root.length)] = readFileSync(join(f.parentPath, f.name), 'base64')
  }
  return out
}

const stagedTexts = async (name: string) =>
  ((await run(DatanetRecords, [name, '--version', 'draft', '--json'])).json as Array<{text: string}>).map((r) => r.text)

let n = 0
/** A fresh datanet per test. */
let name: string
beforeEach(async () => {
  name = `d${++n}`
  expect((await run(DatanetCreate, [name])).exitCode).toBe(0)
})

describe('datanet remove', () => {
  it('removes records by hash and by the rows of a file; the rest stays staged and publishes', async () => {
    const rows = ['one', 'two', 'three', 'four', 'five'].map((text) => ({text, label: 'x'}))
    expect((await run(DatanetAdd, [name, file(`${name}.jsonl`, jsonl(rows))])).exitCode).toBe(0)
    const two = recordHash({text: 'two', label: 'x'})
    const four = recordHash({text: 'four', label: 'x'})

    const removed = await run(DatanetRemove, [name, two, four.toUpperCase().replace('0X', '0x'), '--json'])
    expect(removed.exitCode, removed.stderr).toBe(0)
    expectSchema('datanet remove', removed.json)
    expect(removed.json).toEqual({
      name,
      removed: [
        {recordHash: two, contributor: p.accounts[0].address},
        {recordHash: four, contributor: p.accounts[0].address},
      ],
      staged: 3,
    })
    expect(await stagedTexts(name)).toEqual(['one', 'three', 'five'])

    // A file's rows, hashed as `add` hashes them (another contributor: not part of the hash).
    const bad = file('bad.csv', `text,label,contributor\nfive,x,${p.accounts[3].address}\n`)
    const human = await run(DatanetRemove, [name, '--file', bad])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).toContain(`- ${recordHash({text: 'five', label: 'x'})} ${p.accounts[0].address}`)
    expect(human.stdout).toContain(`Removed 1 record from ${name}'s draft; 2 staged for the next version.`)
    expect(await stagedTexts(name)).toEqual(['one', 'three'])

    // A removed record can be added again; the version holds exactly what is staged.
    const readd = await run(DatanetAdd, [name, file(`${name}-again.jsonl`, jsonl([{text: 'two', label: 'x'}])), '--json'])
    expect(readd.json).toMatchObject({added: 1, staged: 3})
    expect(await stagedTexts(name)).toEqual(['one', 'three', 'two'])
    const pub = await run(DatanetPublish, [name, '--json'])
    expect(pub.exitCode, pub.stderr).toBe(0)
    expect(pub.json).toMatchObject({records: 3, added: 3})
    const v1 = (await run(DatanetRecords, [name, '--version', '1', '--json'])).json
    expect(v1.map((r: {text: string}) => r.text)).toEqual(['one', 'three', 'two'])
  })

  it('names at most 10 removed records in human output, --json all of them', async () => {
    const rows = Array.from({length: 12}, (_, i) => ({text: `row ${i}`}))
    const data = file(`${name}.jsonl`, jsonl(rows))
    expect((await run(DatanetAdd, [name, data])).exitCode).toBe(0)
    const human = await run(DatanetRemove, [name, '--file', data])
    expect(human.exitCode, human.stderr).toBe(0)
    const lines = human.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(12)
    expect(lines.slice(0, 10)).toEqual(rows.slice(0, 10).map((r) => `- ${recordHash(r)} ${p.accounts[0].address}`))
    expect(lines.slice(10)).toEqual([
      '  … and 2 more (--json lists them all)',
      `Removed 12 records from ${name}'s draft; 0 staged for the next version.`,
    ])
  })

  it('refuses unknown and published hashes, and rows not staged, naming them; nothing changes', async () => {
    expect((await run(DatanetAdd, [name, file(`${name}.jsonl`, jsonl([{text: 'kept', label: 'a'}]))])).exitCode).toBe(0)
    expect((await run(DatanetPublish, [name])).exitCode).toBe(0)
    expect((await run(DatanetAdd, [name, file(`${name}-2.jsonl`, jsonl([{text: 'staged', label: 'a'}]))])).exitCode).toBe(0)
    const before = snapshot(name)
    const staged = recordHash({text: 'staged', label: 'a'})
    const unknown = `0x${'ab'.repeat(32)}`

    const r1 = await run(DatanetRemove, [name, staged, unknown])
    expect(r1.exitCode).toBe(2)
    expect(r1.stderr.split('\n')[0]).toBe(`Error: record ${unknown} is not staged in datanet "${name}"`)

    const published = recordHash({text: 'kept', label: 'a'})
    const r2 = await run(DatanetRemove, [name, published, '--json'])
    expect(r2.exitCode).toBe(2)
    expectSchema('datanet remove', r2.json)
    expect(r2.json.error).toMatchObject({
      code: 'E_RECORD_NOT_STAGED',
      message: `record ${published} is not staged in datanet "${name}": it is in published version 1, which never changes`,
    })

    const rows = file(
      'rows.jsonl',
      jsonl([
        {text: 'staged', label: 'a'},
        {text: 'never added', label: 'a'},
      ]),
    )
    const r3 = await run(DatanetRemove, [name, '--file', rows])
    expect(r3.exitCode).toBe(2)
    expect(r3.stderr.split('\n')[0]).toBe(
      `Error: ${rows}:2: record ${recordHash({text: 'never added', label: 'a'})} is not staged in datanet "${name}"`,
    )

    const r4 = await run(DatanetRemove, [name, '0x1234'])
    expect([r4.exitCode, r4.stderr.split('\n')[0]]).toEqual([2, 'Error: recordHash "0x1234" is not 0x and 64 hex digits'])
    const r5 = await run(DatanetRemove, [name])
    expect(r5.exitCode).toBe(2)
    expect(r5.stderr.split('\n')[0]).toMatch(/^Error: name the records to remove: record hashes, or --file <path>/)

    expect(snapshot(name)).toEqual(before)
    expect(await stagedTexts(name)).toEqual(['kept', 'staged'])
  })
})

describe('datanet unstage', () => {
  it("drops what one file's add staged, keeping records it shared with earlier adds and other files' records", async () => {
    const a = file(`${name}-a.jsonl`, jsonl([{text: 'a1'}, {text: 'shared'}]))
    const b = file(`${name}-b.jsonl`, jsonl([{text: 'b1'}, {text: 'shared'}, {text: 'b2'}]))
    const c = file(`${name}-c.csv`, 'text\nc1\n')
    expect((await run(DatanetAdd, [name, a])).exitCode).toBe(0)
    // b and c in one add: one segment, b's records first.
    expect((await run(DatanetAdd, [name, b, c])).exitCode).toBe(0)
    expect(await stagedTexts(name)).toEqual(['a1', 'shared', 'b1', 'b2', 'c1'])

    const r = await run(DatanetUnstage, [name, b, '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expectSchema('datanet unstage', r.json)
    expect(r.json).toMatchObject({
      name,
      sources: [{path: b, added: 2}],
      removed: [{recordHash: recordHash({text: 'b1'})}, {recordHash: recordHash({text: 'b2'})}],
      staged: 3,
    })
    expect(await stagedTexts(name)).toEqual(['a1', 'shared', 'c1'])

    // Some of a file's records removed by hash and added again with it: unstage takes every one still staged.
    const b1 = recordHash({text: 'b1'})
    expect((await run(DatanetAdd, [name, b])).exitCode).toBe(0)
    expect((await run(DatanetRemove, [name, b1])).exitCode).toBe(0)
    expect((await run(DatanetAdd, [name, b, '--json'])).json).toMatchObject({added: 1, files: [{alreadyAdded: true}]})
    expect(await stagedTexts(name)).toEqual(['a1', 'shared', 'c1', 'b2', 'b1'])
    const both = await run(DatanetUnstage, [name, b, '--json'])
    expect(both.json).toMatchObject({sources: [{path: b, added: 2}], staged: 3})
    expect(await stagedTexts(name)).toEqual(['a1', 'shared', 'c1'])

    // Unstaged, the file is new again: adding it stages its records anew, and it can be unstaged again.
    const again = await run(DatanetAdd, [name, b, '--json'])
    expect(again.json).toMatchObject({added: 2, files: [{alreadyAdded: false}]})
    const human = await run(DatanetUnstage, [name, b])
    expect(human.stdout).toBe(`${b}: had staged 2 records\nRemoved 2 records from ${name}'s draft; 3 staged for the next version.\n`)
  })

  it('refuses a file never added, and one whose records were published, in one line', async () => {
    const a = file(`${name}-a.jsonl`, jsonl([{text: 'published'}]))
    expect((await run(DatanetAdd, [name, a])).exitCode).toBe(0)
    expect((await run(DatanetPublish, [name])).exitCode).toBe(0)
    const b = file(`${name}-b.jsonl`, jsonl([{text: 'staged'}]))
    expect((await run(DatanetAdd, [name, b])).exitCode).toBe(0)
    const before = snapshot(name)

    const never = await run(DatanetUnstage, [name, join(dir, 'nope.jsonl')])
    expect(never.exitCode).toBe(2)
    expect(never.stderr.split('\n')).toEqual([
      `Error: ${join(dir, 'nope.jsonl')} was never added to datanet "${name}"`,
      `Files with staged records: ${b}.`,
      '',
    ])
    const published = await run(DatanetUnstage, [name, a, '--json'])
    expect(published.exitCode).toBe(2)
    expectSchema('datanet unstage', published.json)
    expect(published.json.error.message).toBe(`${a}: what it added was published in version 1, which never changes`)
    expect(snapshot(name)).toEqual(before)
  })
})

describe('datanet add: fields the datanet never had', () => {
  it('warns once per new field, naming file:line and the field it resembles; --strict-fields refuses it', async () => {
    expect((await run(DatanetAdd, [name, file(`${name}.jsonl`, jsonl([{text: 'first', label: 'billing'}]))])).exitCode).toBe(0)
    const before = snapshot(name)

    const typo = file(
      `${name}-typo.jsonl`,
      jsonl([
        {text: 'ok', label: 'a'},
        {text: 'typo', lable: 'b'},
        {text: 'again', lable: 'c'},
      ]),
    )
    const strict = await run(DatanetAdd, [name, typo, '--strict-fields'])
    expect(strict.exitCode).toBe(2)
    expect(strict.stderr.split('\n')[0]).toBe(
      `Error: ${typo}:2: field "lable" is new to datanet "${name}" (its fields: label, text); did you mean "label"?`,
    )
    expect(snapshot(name)).toEqual(before)

    const csv = file(`${name}.csv`, 'text,label,source\nfrom csv,a,web\n')
    const warned = await run(DatanetAdd, [name, typo, csv])
    expect(warned.exitCode, warned.stderr).toBe(0)
    expect(warned.stderr).toBe(
      `warning: ${typo}:2: field "lable" is new to ${name} (did you mean "label"?); --strict-fields refuses new fields\n` +
        `warning: ${csv}:2: field "source" is new to ${name}; --strict-fields refuses new fields\n`,
    )
    const json = await run(DatanetAdd, [name, file(`${name}-more.jsonl`, jsonl([{text: 'more', lable: 'x', extra: 1}])), '--json'])
    expectSchema('datanet add', json.json)
    // "lable" is one of the datanet's fields now: only "extra" is new.
    expect(json.json.newFields).toEqual([{field: 'extra', file: join(dir, `${name}-more.jsonl`), line: 1}])
  })
})

describe('datanet add - (stdin), through bin/run.js', () => {
  const cli = (args: string[], input: string) =>
    execa(process.execPath, [BIN, ...args], {
      cwd: dir,
      input,
      reject: false,
      env: {NO_COLOR: '1', NODE_ENV: 'production', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR, OPENLEDGER_STATE_DIR: stateDir},
    })

  it('reads JSONL and CSV (sniffed or --format), names "-" and the line in errors', async () => {
    const j = await cli(['datanet', 'add', name, '-', '--json'], '{"text":"piped one"}\n{"text":"piped two"}\n')
    expect(j.exitCode, j.stderr).toBe(0)
    expectSchema('datanet add', JSON.parse(j.stdout))
    expect(JSON.parse(j.stdout)).toMatchObject({added: 2, files: [{file: '-', records: 2, added: 2}]})

    const c = await cli(['datanet', 'add', name, '-'], 'text\n"piped, as csv"\n')
    expect(c.exitCode, c.stderr).toBe(0)
    expect(c.stdout).toContain('stdin: 1 record, 1 added')
    // --format wins over sniffing: this CSV read as JSONL fails on its first line.
    const forced = await cli(['datanet', 'add', name, '-', '--format', 'jsonl'], 'text\nnot json\n')
    expect(forced.exitCode).toBe(2)
    expect(forced.stderr.split('\n')[0]).toMatch(/^Error: -:1: not valid JSON/)

    const bad = await cli(['datanet', 'add', name, '-'], '{"text":"fine"}\n{"label":"no text"}\n')
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr.split('\n')[0]).toBe('Error: -:2: missing the "text" field')
    expect(await stagedTexts(name)).toEqual(['piped one', 'piped two', 'piped, as csv'])

    const empty = await cli(['datanet', 'add', name, '-'], '')
    expect([empty.exitCode, empty.stderr.split('\n')[0]]).toEqual([2, 'Error: -: no records on the input (nothing piped in?)'])

    // "-" names every add from stdin.
    const unstaged = await cli(['datanet', 'unstage', name, '-', '--json'], '')
    expect(unstaged.exitCode, unstaged.stderr).toBe(0)
    expect(JSON.parse(unstaged.stdout)).toMatchObject({
      sources: [
        {path: '-', added: 2},
        {path: '-', added: 1},
      ],
      staged: 0,
    })
  })
})
