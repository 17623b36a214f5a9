import {mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import {getAddress} from 'viem'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {
  DatanetStore,
  InvalidRecordFileError,
  addToDatanet,
  createDatanet,
  datanetProof,
  exportDatanet,
  loadDatanetVersion,
  recordHash,
} from '../../src/datanet/index.js'
import {type TempDir, tempDir} from '../helpers/env.js'

const A0 = getAddress('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
const A1 = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
const A2 = getAddress('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc')

let dir: string
let temp: TempDir
let stateDir: string
beforeEach(() => {
  temp = tempDir('openledger-datanet-')
  dir = temp.dir
  stateDir = join(dir, '.openledger')
})
afterEach(() => temp?.cleanup())

const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name)
  mkdirSync(join(p, '..'), {recursive: true})
  writeFileSync(p, content)
  return p
}

/** Every file under the datanet's folder with its bytes: "exactly as before" means this is equal. */
function snapshot(name: string): Record<string, string> {
  const root = new DatanetStore(name, stateDir).dir
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else out[p.slice(root.length)] = readFileSync(p, 'base64')
    }
  }
  walk(root)
  return out
}

const add = (paths: string[], contributor = A0, textField?: string) => addToDatanet({name: 'd', paths, contributor, textField, stateDir})

describe('datanet add', () => {
  beforeEach(async () => {
    await createDatanet({name: 'd', stateDir, tags: ['a', ' b ', 'a']})
  })

  it('stages records from every format, with hashes of the content fields', async () => {
    const jsonl = file(
      'in/a.jsonl',
      '\ufeff{"text":"my card was charged twice","label":"billing"}\r\n\n{"text":"ünïcødé 🙂","label":"other","contributor":"' +
        A1 +
        '","extra":{"k":[1,2.5]}}\n',
    )
    const csv = file('in/b.csv', 'text,label,contributor\n"refund, please",billing,\nlogin fails,account,' + A2.toLowerCase() + '\n')
    const txt = file('in/c.txt', 'A plain document.\r\nTwo lines.\r\n')
    const md = file('in/sub/d.md', '# Title\n\nBody\n')
    const r = await add([join(dir, 'in')])
    expect(r.added).toBe(6)
    expect(r.files.map((f) => [f.file, f.records, f.added])).toEqual([
      [jsonl, 2, 2],
      [csv, 2, 2],
      [txt, 1, 1],
      [md, 1, 1],
    ])
    const v = await loadDatanetVersion('d', {stateDir, allowDraft: true})
    expect(v.version).toBe('draft')
    expect(v.records.map((x) => x.contributor)).toEqual([A0, A1, A0, A2, A0, A0])
    expect(v.records[1].fields).toEqual({text: 'ünïcødé 🙂', label: 'other', extra: {k: [1, 2.5]}})
    expect(v.records[1].recordHash).toBe(recordHash({label: 'other', text: 'ünïcødé 🙂', extra: {k: [1, 2.5]}}))
    expect(v.records[4].fields).toEqual({text: 'A plain document.\nTwo lines.'})
    const oz = StandardMerkleTree.of(
      v.records.map((x) => [x.recordHash, x.contributor]),
      ['bytes32', 'address'],
    )
    expect(v.root).toBe(oz.root)
    const p = await datanetProof({name: 'd', recordHash: v.records[3].recordHash, version: 'draft', stateDir})
    expect(StandardMerkleTree.verify(oz.root, ['bytes32', 'address'], p.leaf, p.proof)).toBe(true)
  })

  it('adds nothing when the same file is added twice, and says so', async () => {
    const f = file('a.jsonl', '{"text":"one"}\n{"text":"two"}\n{"text":"one"}\n')
    const first = await add([f])
    expect([first.added, first.duplicates, first.files[0].alreadyAdded]).toEqual([2, 1, false])
    const before = snapshot('d')
    const again = await add([f])
    expect([again.added, again.duplicates, again.staged, again.files[0].alreadyAdded]).toEqual([0, 3, 2, true])
    const draftFiles = (snap: Record<string, string>) => Object.entries(snap).filter(([k]) => k.startsWith('/draft/'))
    expect(draftFiles(snapshot('d'))).toEqual(draftFiles(before))
    expect(draftFiles(before)).toHaveLength(2)
    // The same record from another contributor is still a duplicate: the first contributor keeps it.
    const other = await add([file('b.jsonl', `{"text":"two","contributor":"${A1}"}\n`)])
    expect([other.added, other.duplicates]).toEqual([0, 1])
  })

  it("gives a row's own contributor precedence over the flag", async () => {
    await add([file('a.jsonl', `{"text":"x"}\n{"text":"y","contributor":"${A2}"}\n{"text":"z","contributor":""}\n`)], A1)
    const v = await loadDatanetVersion('d', {stateDir, allowDraft: true})
    expect(v.records.map((r) => r.contributor)).toEqual([A1, A2, A1])
  })

  it('reads the text from --text-field and stores it as "text"', async () => {
    await add([file('a.csv', 'body,label\nhello,a\n')], A0, 'body')
    const v = await loadDatanetVersion('d', {stateDir, allowDraft: true})
    expect(v.records[0].fields).toEqual({text: 'hello', label: 'a'})
    await expect(add([file('b.jsonl', '{"body":"x","text":"y"}\n')], A0, 'body')).rejects.toThrow(/has both "body" and "text"/)
  })

  const bad: Array<[string, string, string | Uint8Array, RegExp]> = [
    ['bad JSON on line 3', 'x.jsonl', '{"text":"a"}\n{"text":"b"}\n{"text": oops}\n', /^.*x\.jsonl:3: not valid JSON/],
    ['a CSV row with the wrong column count', 'x.csv', 'text,label\na,b\nc\n', /x\.csv:3: row has 1 field, the header has 2$/],
    [
      'invalid UTF-8',
      'x.jsonl',
      Buffer.concat([Buffer.from('{"text":"a"}\n{"text":"'), Buffer.from([0xff]), Buffer.from('"}\n')]),
      /x\.jsonl:2: invalid UTF-8/,
    ],
    ['a missing text field', 'x.jsonl', '{"text":"a"}\n{"label":"b"}\n', /x\.jsonl:2: missing the "text" field$/],
    ['an empty text field', 'x.jsonl', '{"text":"  "}\n', /x\.jsonl:1: field "text" is empty$/],
    ['a non-string text', 'x.jsonl', '{"text":5}\n', /x\.jsonl:1: field "text" is number, not a string$/],
    [
      'an invalid contributor address',
      'x.jsonl',
      '{"text":"a"}\n{"text":"b","contributor":"0x1234"}\n',
      /x\.jsonl:2: contributor "0x1234" is not an address/,
    ],
    ['a bad checksum', 'x.jsonl', `{"text":"a","contributor":"${A1.replace('C', 'c')}"}\n`, /x\.jsonl:1: contributor .* is not an address/],
    ['a reserved field', 'x.jsonl', '{"text":"a","recordHash":"0x00"}\n', /x\.jsonl:1: field "recordHash" is reserved/],
    ['a lone surrogate', 'x.jsonl', '{"text":"a\\ud800"}\n', /x\.jsonl:1: field text holds a lone UTF-16 surrogate/],
    ['an unsupported file type', 'x.pdf', '%PDF', /x\.pdf: unsupported file type ".pdf"/],
  ]
  it.each(bad)('refuses %s whole, one line naming file and line, the datanet unchanged', async (_what, name, content, message) => {
    await add([file('good.jsonl', '{"text":"already here"}\n')])
    const before = snapshot('d')
    const good = file('more.jsonl', '{"text":"would be new"}\n')
    const f = file(name, content)
    const err = await add([good, f]).catch((e) => e)
    expect(err).toBeInstanceOf(InvalidRecordFileError)
    expect(err.exitCode).toBe(2)
    expect(err.code).toBe('E_USAGE')
    expect(err.shortMessage).toMatch(message)
    expect(err.shortMessage).toContain(f)
    expect(err.shortMessage.split('\n')).toHaveLength(1)
    expect(snapshot('d')).toEqual(before)
  })

  it('refuses a file over 5 MB before reading it', async () => {
    const before = snapshot('d')
    const big = file('big.jsonl', '')
    writeFileSync(big, Buffer.alloc(5 * 1024 * 1024 + 1, 0x20))
    expect(statSync(big).size).toBe(5 * 1024 * 1024 + 1)
    await expect(add([big])).rejects.toThrow(/big\.jsonl: file is 5\.0 MB, over the 5 MB limit per file/)
    expect(snapshot('d')).toEqual(before)
  })

  it('refuses while another process holds the datanet lock', async () => {
    const store = new DatanetStore('d', stateDir)
    writeFileSync(store.lockPath, '1') // pid 1 is alive: a lock another process holds
    await expect(add([file('a.jsonl', '{"text":"x"}\n')])).rejects.toMatchObject({code: 'E_LOCKED'})
    rmSync(store.lockPath)
  })

  it('exports JSONL that re-imports to the same records', async () => {
    await add([file('a.jsonl', `{"text":"x","label":"l","n":1.5}\n{"text":"y","contributor":"${A2}"}\n`)])
    const exp = await exportDatanet({name: 'd', version: 'draft', stateDir, out: join(dir, 'out.jsonl')})
    expect(exp.records).toBe(2)
    await createDatanet({name: 'copy', stateDir})
    await addToDatanet({name: 'copy', paths: [join(dir, 'out.jsonl')], contributor: A1, stateDir})
    const a = await loadDatanetVersion('d', {stateDir, allowDraft: true})
    const b = await loadDatanetVersion('copy', {stateDir, allowDraft: true})
    expect(b.root).toBe(a.root)
    expect(b.records).toEqual(a.records)
  })

  it('keeps media files of an image datanet by content hash', async () => {
    await createDatanet({name: 'pics', modality: 'image', stateDir})
    const png = file('img/cat.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]))
    file('img/notes.bin', 'skip me')
    const r = await addToDatanet({name: 'pics', paths: [join(dir, 'img')], contributor: A0, stateDir})
    expect(r.added).toBe(1)
    expect(r.skipped).toEqual([join(dir, 'img', 'notes.bin')])
    const v = await loadDatanetVersion('pics', {stateDir, allowDraft: true})
    expect(v.records[0].fields).toMatchObject({mediaType: 'image/png', byteSize: 7})
    const blob = (v.records[0].fields.media as string).slice(2) + '.png'
    expect(readFileSync(join(new DatanetStore('pics', stateDir).dir, 'blobs', blob))).toEqual(readFileSync(png))
  })

  it('has no version to load until one is published, unless the draft is allowed', async () => {
    await add([file('a.jsonl', '{"text":"x"}\n')])
    await expect(loadDatanetVersion('d', {stateDir})).rejects.toMatchObject({code: 'E_VERSION_NOT_FOUND', exitCode: 3})
    await expect(loadDatanetVersion('nope', {stateDir})).rejects.toMatchObject({code: 'E_DATANET_NOT_FOUND'})
    await expect(createDatanet({name: 'd', stateDir})).rejects.toMatchObject({code: 'E_DATANET_EXISTS'})
    await expect(createDatanet({name: '../x', stateDir})).rejects.toMatchObject({code: 'E_USAGE'})
  })
})
