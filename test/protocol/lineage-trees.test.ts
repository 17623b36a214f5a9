/** Which datanet version trees a model artifact can rebuild to prove its receipts' records. */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Address, type Hex, keccak256, toHex} from 'viem'
import {afterAll, describe, expect, it} from 'vitest'

import {merkleRoot} from '../../src/datanet/merkle.js'
import {lineageTrees} from '../../src/protocol/lineage-trees.js'
import {tempDir} from '../helpers/env.js'

const tmp = tempDir('ol-lineage-')
afterAll(() => tmp.cleanup())

const records = Array.from({length: 9}, (_, i) => ({
  recordHash: keccak256(toHex(`r${i}`)) as Hex,
  contributor: `0x${keccak256(toHex(`c${i % 3}`)).slice(26)}` as Address,
}))
const root = merkleRoot(records.map((r) => [r.recordHash, r.contributor] as const))
const other = keccak256(toHex('another datanet')) as Hex

function artifact(name: string, training: object): string {
  const dir = join(tmp.dir, name)
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'training.json'), JSON.stringify(training))
  return dir
}

describe('lineageTrees', () => {
  it("rebuilds the version from training.json's records when none was excluded, at the lineage entry with its root", async () => {
    const dir = artifact('whole', {datanet: {name: 'nowhere', id: '1', version: 1, root}, records, excludedRecords: []})
    const trees = await lineageTrees(dir, [other, root])
    expect(trees[0]).toBeUndefined()
    expect(trees[1]?.root).toBe(root)
    expect(trees[1]?.position(records[4].recordHash, records[4].contributor)).toBeTypeOf('number')
  })

  it('has no tree when records were excluded and the datanet is not stored here, or the root does not match', async () => {
    const excluded = artifact('excluded', {
      datanet: {name: 'nowhere', id: '1', version: 1, root},
      records: records.slice(1),
      excludedRecords: [records[0].recordHash],
    })
    expect(await lineageTrees(excluded, [root], {stateDir: join(tmp.dir, 'state')})).toEqual([undefined])
    const wrong = artifact('wrong', {datanet: {name: 'nowhere', id: '1', version: 1, root: other}, records, excludedRecords: []})
    expect(await lineageTrees(wrong, [root, other], {stateDir: join(tmp.dir, 'state')})).toEqual([undefined, undefined])
  })
})
