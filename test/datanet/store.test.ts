import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import {getAddress} from 'viem'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {DatanetStore, addToDatanet, createDatanet, exportDatanet, loadDatanetVersion} from '../../src/datanet/index.js'
import {serializeRecords, sha256Hex} from '../../src/datanet/store.js'
import type {DatanetManifest, VersionInfo} from '../../src/datanet/types.js'
import {tempDir} from '../helpers/env.js'

const A0 = getAddress('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
const A1 = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')

let dir: string
let cleanup: () => void
let stateDir: string
beforeEach(() => {
  ;({dir, cleanup} = tempDir('openledger-store-'))
  stateDir = join(dir, '.openledger')
})
afterEach(() => cleanup())

/** 20 JSONL files of 50 records each, with some duplicates across files and a second contributor. */
function writeFiles(): string[] {
  mkdirSync(join(dir, 'in'), {recursive: true})
  return Array.from({length: 20}, (_, f) => {
    let text = ''
    for (let i = 0; i < 50; i++) {
      const n = f * 40 + i // records 40..49 of file f are records 0..9 of file f+1: duplicates
      text += JSON.stringify({text: `record ${n}`, label: n % 3, ...(n % 7 === 0 ? {contributor: A1} : {})}) + '\n'
    }
    const path = join(dir, 'in', `${String(f).padStart(2, '0')}.jsonl`)
    writeFileSync(path, text)
    return path
  })
}

/** Publishes the draft locally as the chain-free part of `publish` does: stage, commit, record, clear. */
function publishLocally(name: string): VersionInfo {
  const store = new DatanetStore(name, stateDir)
  const m: DatanetManifest = store.readManifest()
  const staged = store.prepareVersion(m)
  const version = (m.versions.at(-1)?.version ?? 0) + 1
  const file = staged.commit(version)
  const info = {
    version,
    root: staged.root,
    records: staged.records,
    byteSize: staged.byteSize,
    file,
    sha256: staged.sha256,
    added: staged.added,
  } as VersionInfo
  m.versions.push(info)
  store.writeManifest(m)
  store.clearDraft()
  return info
}

describe('datanet storage: an append-only draft, versions streamed', () => {
  it('gives the same draft for 20 files added in 20 calls as for one call adding them all', async () => {
    const files = writeFiles()
    await createDatanet({name: 'one', stateDir})
    await createDatanet({name: 'many', stateDir})
    const once = await addToDatanet({name: 'one', paths: files, contributor: A0, stateDir})
    let added = 0
    for (const f of files) added += (await addToDatanet({name: 'many', paths: [f], contributor: A0, stateDir})).added
    expect(once.added).toBe(19 * 40 + 50)
    expect(added).toBe(once.added)
    const a = await loadDatanetVersion('one', {stateDir, allowDraft: true})
    const b = await loadDatanetVersion('many', {stateDir, allowDraft: true})
    expect(b.records).toEqual(a.records)
    expect(b.root).toBe(a.root)
    // The 20 calls left 20 segments; each add wrote only its own.
    expect(readdirSync(new DatanetStore('many', stateDir).draftDir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(20)
    // And the versions they publish are byte for byte the same.
    const va = publishLocally('one')
    const vb = publishLocally('many')
    expect(vb.sha256).toBe(va.sha256)
    expect(readFileSync(join(new DatanetStore('many', stateDir).dir, vb.file))).toEqual(
      readFileSync(join(new DatanetStore('one', stateDir).dir, va.file)),
    )
  })

  it('streams a version to the bytes, sha256 and root of the records serialized whole', async () => {
    const files = writeFiles()
    await createDatanet({name: 'd', stateDir})
    await addToDatanet({name: 'd', paths: files.slice(0, 10), contributor: A0, stateDir})
    const v1 = publishLocally('d')
    await addToDatanet({name: 'd', paths: files.slice(5), contributor: A0, stateDir})
    const store = new DatanetStore('d', stateDir)
    const expected = [...store.readVersion(v1), ...store.readDraft()]
    const v2 = publishLocally('d')
    const bytes = readFileSync(join(store.dir, v2.file))
    expect(bytes.toString('utf8')).toBe(serializeRecords(expected))
    expect(v2.sha256).toBe(sha256Hex(bytes))
    expect(v2.byteSize).toBe(bytes.length)
    expect(v2.records).toBe(expected.length)
    expect(v2.added).toBe(expected.length - v1.records)
    const tree = StandardMerkleTree.of(
      expected.map((r) => [r.recordHash, r.contributor]),
      ['bytes32', 'address'],
    )
    expect(v2.root).toBe(tree.root)
    const loaded = await loadDatanetVersion('d', {stateDir})
    expect(loaded.root).toBe(tree.root)
    expect(loaded.records).toEqual(expected)
    // A record of version 1 added again is a duplicate; the draft stays empty.
    const again = await addToDatanet({name: 'd', paths: [files[3]], contributor: A0, stateDir})
    expect(again).toMatchObject({added: 0, staged: 0})
    // The export of the version re-imports to it.
    const out = join(dir, 'v2.jsonl')
    await exportDatanet({name: 'd', stateDir, out})
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(expected.length)
  })

  it('refuses to stage a version whose previous file changed after publishing', async () => {
    const files = writeFiles()
    await createDatanet({name: 'd', stateDir})
    await addToDatanet({name: 'd', paths: files.slice(0, 2), contributor: A0, stateDir})
    const v1 = publishLocally('d')
    await addToDatanet({name: 'd', paths: files.slice(2, 3), contributor: A0, stateDir})
    const store = new DatanetStore('d', stateDir)
    const path = join(store.dir, v1.file)
    writeFileSync(path, readFileSync(path, 'utf8').replace('record 1"', 'record 1!"'))
    expect(() => store.prepareVersion(store.readManifest())).toThrow(/changed after it was published/)
    // Nothing staged is left behind.
    expect(readdirSync(join(store.dir, 'versions')).sort()).toEqual(['1.jsonl', '1.keys'])
  })
})
