/**
 * The datanet commands, in-process through oclif, against a real anvil with every contract
 * deployed, which a devnet state file (OPENLEDGER_STATE_DIR) points at.
 */
import {createCipheriv, pbkdf2Sync, randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {StandardMerkleTree} from '@openzeppelin/merkle-tree'
import type {Config} from '@oclif/core'

import {type Hex, keccak256, parseEther, parseEventLogs} from 'viem'
import {generatePrivateKey, privateKeyToAddress} from 'viem/accounts'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import DatanetAdd from '../../src/commands/datanet/add.js'
import DatanetContribute from '../../src/commands/datanet/contribute.js'
import DatanetCreate from '../../src/commands/datanet/create.js'
import DatanetCurator from '../../src/commands/datanet/curator.js'
import DatanetDiff from '../../src/commands/datanet/diff.js'
import DatanetExport from '../../src/commands/datanet/export.js'
import DatanetList from '../../src/commands/datanet/list.js'
import DatanetProof from '../../src/commands/datanet/proof.js'
import DatanetPublish from '../../src/commands/datanet/publish.js'
import DatanetRecords from '../../src/commands/datanet/records.js'
import DatanetReview from '../../src/commands/datanet/review.js'
import {DatanetStore} from '../../src/datanet/store.js'
import DatanetShow from '../../src/commands/datanet/show.js'
import {DatanetRegistry} from '../../src/contracts/artifacts/index.js'
import {loadDatanetVersion} from '../../src/datanet/index.js'
import {type DevnetState, writeDevnetState} from '../../src/devnet/state.js'
import type {Protocol} from '../helpers/contracts.js'
import {type ProtocolWorkspace, openProtocolWorkspace} from '../helpers/protocol-workspace.js'
import {expectSchema} from '../helpers/json-schema.js'

let ws: ProtocolWorkspace
let p: Protocol
let config: Config
let dir: string
let stateDir: string
const ENC = ['bytes32', 'address']

beforeAll(async () => {
  ws = await openProtocolWorkspace('openledger-datanet-chain-')
  ;({p, config, dir, stateDir} = ws)
})
afterAll(() => ws?.close())

const run = (command: {run(argv: string[], config: Config): Promise<unknown>}, argv: string[]) => ws.run(command, argv)
const file = (name: string, content: string) => ws.file(name, content)

/** A few thousand real-looking rows: {text, label, contributor}. */
function tickets(n: number, offset = 0): string {
  const labels = ['billing', 'account', 'shipping', 'technical']
  const who = [1, 2, 3].map((i) => p.accounts[i].address)
  let out = ''
  for (let i = offset; i < offset + n; i++) {
    out +=
      JSON.stringify({
        text: `ticket ${i}: ${['my card was charged twice', 'cannot log in', 'parcel is late', 'app crashes on start'][i % 4]} — ünïcødé ${i % 7}`,
        label: labels[i % 4],
        contributor: who[i % 3],
      }) + '\n'
  }
  return out
}

describe('datanet on a devnet', () => {
  it('create, add, publish: the published root is StandardMerkleTree.of over `records --json`, an event carries it, proofs verify', async () => {
    const created = (await run(DatanetCreate, ['tickets', '--summary', 'Support tickets', '--tags', 'support,billing', '--json'])).json
    expectSchema('datanet create', created)
    expect(created).toMatchObject({name: 'tickets', modality: 'text', tags: ['support', 'billing']})
    const data = file('tickets.jsonl', tickets(3000))
    const added = await run(DatanetAdd, ['tickets', data, '--json'])
    expect(added.exitCode).toBe(0)
    expectSchema('datanet add', added.json)
    expect(added.json).toMatchObject({added: 3000, duplicates: 0, staged: 3000})

    // A file with a broken third line is refused naming line 3 and changes nothing.
    const draftBefore = new DatanetStore('tickets', stateDir).readDraft()
    const broken = file('broken.jsonl', '{"text":"new one"}\n{"text":"new two"}\n{"text": "oops\n{"text":"new four"}\n')
    const refused = await run(DatanetAdd, ['tickets', broken])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr.trim().split('\n')[0]).toMatch(
      new RegExp(`^.*Error.*: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not valid JSON`),
    )
    expect(new DatanetStore('tickets', stateDir).readDraft()).toEqual(draftBefore)

    // Re-adding the same file adds nothing, and says so.
    const again = await run(DatanetAdd, ['tickets', data])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain('already added: nothing new')
    expect(again.stdout).toContain('Nothing added to tickets')

    const pub = await run(DatanetPublish, ['tickets', '--json'])
    expect(pub.exitCode, pub.stderr).toBe(0)
    expectSchema('datanet publish', pub.json)
    expect(pub.json).toMatchObject({name: 'tickets', datanetId: '1', version: 1, chainVersion: 1, records: 3000, registered: true})
    expect(pub.json.txHash).toMatch(/^0x[0-9a-f]{64}$/)

    const records = (await run(DatanetRecords, ['tickets', '--json'])).json
    expectSchema('datanet records', records)
    expect(records).toHaveLength(3000)
    expect(Object.keys(records[0])).toEqual(['recordHash', 'contributor', 'text', 'label'])
    const oz = StandardMerkleTree.of(
      records.map((r: any) => [r.recordHash, r.contributor]),
      ENC,
    )
    expect(pub.json.root).toBe(oz.root)

    const receipt = await p.publicClient.getTransactionReceipt({hash: pub.json.txHash})
    const [ev] = parseEventLogs({abi: DatanetRegistry.abi, logs: receipt.logs, eventName: 'VersionPublished'})
    expect(ev.args).toMatchObject({datanetId: 1n, version: 1, root: oz.root, recordCount: 3000n})
    const fee = await p.publicClient.readContract({
      address: p.addresses.DatanetRegistry,
      abi: DatanetRegistry.abi,
      functionName: 'baseFee',
    })
    expect(pub.json.fee).toBe(fee.toString())

    const proof = (await run(DatanetProof, ['tickets', records[1234].recordHash, '--json'])).json
    expectSchema('datanet proof', proof)
    expect(proof.root).toBe(oz.root)
    expect(proof.leaf).toEqual([records[1234].recordHash, records[1234].contributor])
    expect(StandardMerkleTree.verify(oz.root, ENC, proof.leaf, proof.proof)).toBe(true)
    expect(proof.proof).toEqual(oz.getProof([records[1234].recordHash, records[1234].contributor]))

    const loaded = await loadDatanetVersion('tickets')
    expect([loaded.datanetId, loaded.version, loaded.root, loaded.records.length]).toEqual(['1', 1, oz.root, 3000])

    // Version 2: more rows; v1 stays as it was.
    const v1File = readFileSync(join(stateDir, 'datanets', 'tickets', 'versions', '1.jsonl'))
    await run(DatanetAdd, ['tickets', file('more.jsonl', tickets(10, 2995))])
    const pub2 = await run(DatanetPublish, ['tickets', '--json'])
    expect(pub2.json).toMatchObject({version: 2, records: 3005, added: 5, registered: false})
    expect(readFileSync(join(stateDir, 'datanets', 'tickets', 'versions', '1.jsonl'))).toEqual(v1File)
    const diff = (await run(DatanetDiff, ['tickets', '1', '2', '--json'])).json
    expectSchema('datanet diff', diff)
    expect([diff.added.length, diff.removed.length, diff.unchanged]).toEqual([5, 0, 3000])
    expect((await run(DatanetRecords, ['tickets', '--version', '1', '--json'])).json).toHaveLength(3000)

    const nothing = await run(DatanetPublish, ['tickets', '--json'])
    expectSchema('datanet publish', nothing.json)
    expect([nothing.exitCode, nothing.json.error.code]).toEqual([2, 'E_NOTHING_TO_PUBLISH'])

    const show = (await run(DatanetShow, ['tickets', '--json'])).json
    expectSchema('datanet show', show)
    expect(show.onChain).toMatchObject({datanetId: '1', owner: p.accounts[0].address, versionCount: 2})
    expect(show.onChain.versions.map((v: any) => [v.version, v.matchesLocal])).toEqual([
      [1, true],
      [2, true],
    ])
    const list = (await run(DatanetList, ['--json'])).json
    expectSchema('datanet list', list)
    expect(list[0]).toMatchObject({name: 'tickets', versions: 2, latest: {version: 2, records: 3005}})

    const exported = await run(DatanetExport, ['tickets', '--version', '1'])
    expect(exported.stdout.trim().split('\n')).toHaveLength(3000)
  })

  it('a publish interrupted after its transaction is finished by the next run, which pays nothing again', async () => {
    await run(DatanetCreate, ['resume'])
    await run(DatanetAdd, ['resume', file('resume-1.jsonl', tickets(20, 9000))])
    expect((await run(DatanetPublish, ['resume', '--json'])).json).toMatchObject({version: 1, resumed: false})
    await run(DatanetAdd, ['resume', file('resume-2.jsonl', tickets(5, 9100))])
    // What an interrupted run leaves: version 2's transaction sent and mined, nothing written locally.
    const draft = await loadDatanetVersion('resume', {allowDraft: true})
    const datanetId = BigInt(draft.datanetId!)
    const fee = await p.publicClient.readContract({
      address: p.addresses.DatanetRegistry,
      abi: DatanetRegistry.abi,
      functionName: 'versionFee',
      args: [datanetId],
    })
    const sent = await p.wallet(0).writeContract({
      address: p.addresses.DatanetRegistry,
      abi: DatanetRegistry.abi,
      functionName: 'publishVersion',
      args: [datanetId, draft.root, 25n, 1000n, 'data:interrupted'],
      value: fee,
    })
    await p.publicClient.waitForTransactionReceipt({hash: sent})
    const before = await p.publicClient.getTransactionCount({address: p.accounts[0].address})
    const again = await run(DatanetPublish, ['resume', '--json'])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.json).toMatchObject({version: 2, chainVersion: 2, root: draft.root, txHash: sent, resumed: true, fee: fee.toString()})
    expect(await p.publicClient.getTransactionCount({address: p.accounts[0].address})).toBe(before)
    const onChain = await p.publicClient.readContract({
      address: p.addresses.DatanetRegistry,
      abi: DatanetRegistry.abi,
      functionName: 'getDatanet',
      args: [datanetId],
    })
    expect(onChain[4]).toBe(2)
  })

  it('curators: the owner adds one, who may then review; removed, they may not', async () => {
    await run(DatanetCreate, ['curated', '--onchain'])
    const curator = p.accounts[4].address
    const notOwner = await run(DatanetCurator, ['curated', curator, '--account', '5', '--json'])
    expect([notOwner.exitCode, notOwner.json.error.message]).toEqual([1, expect.stringContaining('NotDatanetOwner')])
    const added = await run(DatanetCurator, ['curated', curator, '--json'])
    expectSchema('datanet curator', added.json)
    expect(added.json).toMatchObject({curator, enabled: true})
    expect(
      await p.publicClient.readContract({
        address: p.addresses.DatanetRegistry,
        abi: DatanetRegistry.abi,
        functionName: 'isCurator',
        args: [BigInt(added.json.datanetId), curator],
      }),
    ).toBe(true)
    await run(DatanetContribute, ['curated', file('k1.jsonl', '{"text":"curated one","label":"a"}\n'), '--account', '1'])
    await run(DatanetContribute, ['curated', file('k2.jsonl', '{"text":"curated two","label":"b"}\n'), '--account', '2'])
    const approved = await run(DatanetReview, ['curated', '--approve', '1', '--account', '4', '--json'])
    expect(approved.exitCode, approved.stderr).toBe(0)
    expect((await run(DatanetCurator, ['curated', curator, '--remove', '--json'])).json.enabled).toBe(false)
    const refused = await run(DatanetReview, ['curated', '--reject', '2', '--account', '4', '--json'])
    expect([refused.exitCode, refused.json.error.message]).toEqual([1, expect.stringContaining('NotOwnerOrCurator')])
    const bad = await run(DatanetCurator, ['curated', '0x1234', '--json'])
    expect([bad.exitCode, bad.json.error.message]).toEqual([
      2,
      'address "0x1234" is not an address (0x followed by 40 hex digits, with a valid checksum if mixed-case)',
    ])
  })

  it('public contributions: submitted by a contributor, rejected or approved by the owner, approved records in the next version', async () => {
    await run(DatanetCreate, ['public', '--onchain', '--json'])
    const c1 = await run(DatanetContribute, [
      'public',
      file('c1.jsonl', '{"text":"from account 1","label":"a"}\n{"text":"another","label":"b"}\n'),
      '--account',
      '1',
      '--json',
    ])
    expect(c1.exitCode, c1.stderr).toBe(0)
    expectSchema('datanet contribute', c1.json)
    expect(c1.json).toMatchObject({contributionId: '1', contributor: p.accounts[1].address, records: 2})
    const c2 = await run(DatanetContribute, ['public', file('c2.jsonl', '{"text":"spam","label":"x"}\n'), '--account', '2', '--json'])
    expect(c2.json.contributionId).toBe('2')

    // Another account's row in a contribution is refused whole.
    const forged = await run(DatanetContribute, [
      'public',
      file('c3.jsonl', `{"text":"forged","contributor":"${p.accounts[3].address}"}\n`),
      '--account',
      '2',
    ])
    expect(forged.exitCode).toBe(2)
    expect(forged.stderr).toMatch(/c3\.jsonl:1: contributor .* is not the signer/)

    const pending = (await run(DatanetReview, ['public', '--json'])).json
    expectSchema('datanet review', pending)
    expect(pending.contributions.map((c: any) => [c.id, c.status, c.local])).toEqual([
      ['1', 'pending', true],
      ['2', 'pending', true],
    ])

    // Only the owner or a curator may review.
    const notOwner = await run(DatanetReview, ['public', '--approve', '1', '--account', '4', '--json'])
    expect(notOwner.exitCode).toBe(1)
    expect(notOwner.json.error.message).toContain('NotOwnerOrCurator')

    const reviewed = await run(DatanetReview, ['public', '--approve', '1', '--reject', '2', '--json'])
    expect(reviewed.exitCode, reviewed.stderr).toBe(0)
    expectSchema('datanet review', reviewed.json)
    expect(reviewed.json.reviewed.map((r: any) => [r.id, r.approved, r.staged])).toEqual([
      ['1', true, 2],
      ['2', false, 0],
    ])
    expect(reviewed.json.contributions.map((c: any) => c.status)).toEqual(['approved', 'rejected'])
    const events = await p.publicClient.getContractEvents({
      address: p.addresses.DatanetRegistry,
      abi: DatanetRegistry.abi,
      eventName: 'ContributionReviewed',
      args: {datanetId: BigInt(reviewed.json.datanetId)},
      fromBlock: 0n,
    })
    expect(events.map((e) => [e.args.contributionId, e.args.approved, e.args.reviewer])).toEqual([
      [1n, true, p.accounts[0].address],
      [2n, false, p.accounts[0].address],
    ])

    const twice = await run(DatanetReview, ['public', '--approve', '1', '--json'])
    expect([twice.exitCode, twice.json.error.message]).toEqual([2, 'contribution 1 is already approved'])

    const pub = await run(DatanetPublish, ['public', '--json'])
    expect(pub.json).toMatchObject({records: 2, version: 1, registered: false})
    const records = (await run(DatanetRecords, ['public', '--json'])).json
    expect(records.map((r: any) => [r.text, r.contributor])).toEqual([
      ['from account 1', p.accounts[1].address],
      ['another', p.accounts[1].address],
    ])
    expect(pub.json.root).toBe(
      StandardMerkleTree.of(
        records.map((r: any) => [r.recordHash, r.contributor]),
        ENC,
      ).root,
    )
    // The contribution's root is the Merkle root of its own records.
    expect(c1.json.contentRoot).toBe(pub.json.root)
  })

  it('contributing to a datanet not registered on this chain is refused with what to run', async () => {
    await run(DatanetCreate, ['local-only', '--json'])
    const r = await run(DatanetContribute, ['local-only', file('c.jsonl', '{"text":"hi"}\n'), '--account', '1', '--json'])
    expect([r.exitCode, r.json.error.code, r.json.error.name, r.json.error.message]).toEqual([
      3,
      'E_DATANET_NOT_ON_CHAIN',
      'NotOnChainError',
      'datanet "local-only" is not registered on-chain yet',
    ])
    expect(r.json.error.hints).toEqual([
      'Its owner registers it with `openledger datanet publish local-only` or `openledger datanet create local-only --onchain`.',
    ])
  })

  it('a keystore user: `datanet add` credits the keystore address, the one that then registers and publishes', async () => {
    const key = generatePrivateKey()
    const user = privateKeyToAddress(key)
    const keystore = join(dir, 'user.keystore.json')
    writeFileSync(keystore, JSON.stringify(encryptKeystore(key, 'hunter2')))
    await p.publicClient.waitForTransactionReceipt({hash: await p.wallet(0).sendTransaction({to: user, value: parseEther('10')})})

    await run(DatanetCreate, ['keyed', '--json'])
    const env = {OPENLEDGER_KEYSTORE: keystore, OPENLEDGER_KEYSTORE_PASSWORD: 'hunter2'}
    const added = await withEnv(env, () => run(DatanetAdd, ['keyed', file('keyed.jsonl', '{"text":"mine"}\n'), '--json']))
    expect([added.exitCode, added.json.contributor]).toEqual([0, user])
    // Not dev account 0, which signs when no key is configured.
    expect(user).not.toBe(p.accounts[0].address)
    const pub = await withEnv(env, () => run(DatanetPublish, ['keyed', '--json']))
    expect(pub.exitCode, pub.stdout).toBe(0)
    const records = (await run(DatanetRecords, ['keyed', '--json'])).json
    expect(records.map((r: any) => r.contributor)).toEqual([user])
    const receipt = await p.publicClient.getTransactionReceipt({hash: pub.json.txHash})
    expect(receipt.from.toLowerCase()).toBe(user.toLowerCase())

    // A keystore without its password is refused before anything is staged.
    const noPassword = await withEnv({OPENLEDGER_KEYSTORE: keystore}, () =>
      run(DatanetAdd, ['keyed', file('more.jsonl', '{"text":"more"}\n'), '--json']),
    )
    expect([noPassword.exitCode, noPassword.json.error.message]).toEqual([
      2,
      'OPENLEDGER_KEYSTORE is set but OPENLEDGER_KEYSTORE_PASSWORD is not',
    ])
  })
})

/** Runs `fn` with extra environment variables, restoring the environment after. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** A Web3 Secret Storage v3 keystore (pbkdf2, few rounds: a test key), as geth writes one. */
function encryptKeystore(key: Hex, password: string) {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const c = 1024
  const derived = pbkdf2Sync(password, salt, c, 32, 'sha256')
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(key.slice(2), 'hex')), cipher.final()])
  const mac = keccak256(new Uint8Array(Buffer.concat([derived.subarray(16, 32), ciphertext]))).slice(2)
  return {
    version: 3,
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: {iv: iv.toString('hex')},
      ciphertext: ciphertext.toString('hex'),
      kdf: 'pbkdf2',
      kdfparams: {c, dklen: 32, prf: 'hmac-sha256', salt: salt.toString('hex')},
      mac,
    },
  }
}
