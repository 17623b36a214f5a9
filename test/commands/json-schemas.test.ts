import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'
import {SCHEMAS_DIR, commandSchemaFile, expectSchema, schemaErrors} from '../helpers/json-schema.js'

const COMMANDS_DIR = join(import.meta.dirname, '..', '..', 'src', 'commands')

/** Command ids as oclif derives them from src/commands: `datanet/publish.ts` → `datanet publish`, `rewards/index.ts` → `rewards`. */
function commandIds(): string[] {
  return (readdirSync(COMMANDS_DIR, {recursive: true}) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) =>
      f
        .replace(/\.ts$/, '')
        .replace(/(^|\/)index$/, '')
        .split('/')
        .join(' '),
    )
    .sort()
}

describe('--json shapes: schemas/commands/<command>.schema.json', () => {
  it('every command has a schema file', () => {
    const ids = commandIds()
    expect(ids).toEqual(expect.arrayContaining(['datanet publish', 'infer', 'rewards', 'version']))
    expect(ids.filter((id) => !existsSync(commandSchemaFile(id))).map((id) => relative(process.cwd(), commandSchemaFile(id)))).toEqual([])
  })

  it("every command's --help names its schema file (the one place its shape is written down)", () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'oclif.manifest.json'), 'utf8'))
    const missing = commandIds().filter(
      (id) =>
        !String(manifest.commands[id.split(' ').join(':')]?.description).includes(relative(join(SCHEMAS_DIR, '..'), commandSchemaFile(id))),
    )
    expect(missing).toEqual([])
  })

  it('a schema refuses what it must: a lower-case address, a number for wei, an unknown key; errors use the shared shape', () => {
    const status = {
      address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      staked: '0',
      role: null,
      pendingWithdrawal: '0',
      unlockTime: null,
      unlocksAt: null,
      withdrawable: false,
      rewards: '0',
      cooldownSeconds: '604800',
    }
    expect(schemaErrors('stake status', status)).toEqual([])
    expect(schemaErrors('stake status', {...status, address: status.address.toLowerCase()}).join('\n')).toMatch(
      /\/address must match format "eip55-address"/,
    )
    expect(schemaErrors('stake status', {...status, staked: 0}).join('\n')).toMatch(/\/staked must be string/)
    expect(schemaErrors('stake status', {...status, stake: '0'}).join('\n')).toMatch(/must NOT have additional properties/)
    expect(schemaErrors('stake status', {error: {code: 'E_USAGE', name: 'UsageError', message: 'amount "ten" is not a number'}})).toEqual(
      [],
    )
    expect(schemaErrors('no such command', {})).toEqual([expect.stringMatching(/^no schema for "no such command"/)])
  })
})

// The commands no other test runs with --json, run once each in one project on a devnet on port 0.
describe('--json of the commands other tests do not cover, through bin/run.js', () => {
  const tmp = tempDir('openledger-json-')
  const dir = join(tmp.dir, 'app')
  const env = {OPENLEDGER_L1_PORT: '0', OPENLEDGER_L2_PORT: '0'}
  const run = async (id: string, args: string[]) => {
    const r = await cli(dir, [...id.split(' '), ...args, '--json'], env)
    expect(r.exitCode, `${id} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0)
    expectSchema(id, r.json)
    return r.json
  }
  beforeAll(async () => {
    const init = await cli(tmp.dir, ['init', dir, '--template', 'text-classifier', '--json'])
    expect(init.exitCode, init.stderr).toBe(0)
    await run('dev', ['--once'])
  }, 300_000)
  afterAll(async () => {
    await cli(dir, ['devnet', 'stop'], env)
    tmp.cleanup()
  })

  it('contracts list, doctor, devnet snapshot, logs, restore, reset; bridge withdraw', async () => {
    const contracts = await run('contracts list', [])
    // The protocol's contracts, then the OP Stack contracts the devnet runs, each where it is.
    expect(contracts.find((c: {name: string}) => c.name === 'Staking')).toMatchObject({chain: 'l2', address: expect.stringMatching(/^0x/)})
    expect(contracts.find((c: {name: string}) => c.name === 'OptimismPortal')).toMatchObject({
      chain: 'l1',
      address: expect.stringMatching(/^0x/),
    })
    const portalAbi = await run('contracts abi', ['OptimismPortal'])
    expect(portalAbi.some((x: {name?: string}) => x.name === 'depositERC20Transaction')).toBe(true)
    await run('doctor', [])
    await run('devnet snapshot', ['before'])
    expect((await run('devnet logs', [])).lines.length).toBeGreaterThan(0)
    await run('bridge withdraw', ['1'])
    await run('devnet restore', ['before'])
    await run('devnet reset', [])
  })

  it('train, infer (text, file, --attribute), attribute, datanet export', async () => {
    const trained = await run('train', ['--datanet', 'support-tickets', '--epochs', '1', '--device', 'cpu'])
    expect(trained.artifact).toBe(join(dir, '.openledger', 'models', trained.artifact.split('/').at(-1)))
    expect(trained.datanet).toMatchObject({name: 'support-tickets', datanetId: '1'})
    const model = trained.artifact
    await run('infer', ['--model', model, '--text', 'I was charged twice', '--device', 'cpu'])
    writeFileSync(join(tmp.dir, 'in.jsonl'), '"my parcel never arrived"\n"reset my password"\n')
    const many = await run('infer', [
      '--model',
      model,
      '--input',
      join(tmp.dir, 'in.jsonl'),
      '--attribute',
      '--top-k',
      '3',
      '--device',
      'cpu',
    ])
    expect(many.predictions).toHaveLength(2)
    const one = await run('infer', ['--model', model, '--text', 'I was charged twice', '--attribute', '--top-k', '3', '--device', 'cpu'])
    expect(one.prediction.receipt.contributors.length).toBeGreaterThan(0)
    await run('attribute self-influence', ['--model', model, '--top-k', '3'])
    await run('attribute spans', ['--datanet', 'support-tickets', '--text', 'I was charged twice for my order'])
    await run('datanet export', ['support-tickets', '--out', join(tmp.dir, 'export.jsonl')])
  })
})
