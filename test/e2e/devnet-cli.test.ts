import {createServer} from 'node:net'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {createPublicClient, http, parseEther} from 'viem'
import {afterAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {cli} from '../helpers/cli.js'
import {isProcessAlive} from '../../src/store/process.js'
import {expectSchema} from '../helpers/json-schema.js'

describe('openledger devnet and bridge, end to end through bin/run.js', () => {
  const tmp = tempDir()
  afterAll(async () => {
    await cli(tmp.dir, ['devnet', 'stop'])
    tmp.cleanup()
  })

  it('start --detach --json, deposit 5, status, stop', async () => {
    const start = await cli(tmp.dir, ['devnet', 'start', '--detach', '--json', '--l1-port', '0', '--l2-port', '0'])
    expect(start.exitCode, start.stderr).toBe(0)
    const s = start.json
    expectSchema('devnet start', s)
    expect(s.l1).toMatchObject({rpcUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), chainId: 31337})
    expect(s.l2.chainId).toBe(16121337)
    expect(Object.keys(s.contracts)).toEqual(expect.arrayContaining(['OpenToken', 'OptimismPortal', 'L2OutputOracle']))
    expect(s.accounts).toHaveLength(10)
    expect(s.accounts[0]).toEqual({address: expect.any(String), privateKey: expect.stringMatching(/^0x[0-9a-f]{64}$/)})

    const l2 = createPublicClient({transport: http(s.l2.rpcUrl)})
    const before = await l2.getBalance({address: s.accounts[0].address})
    const dep = await cli(tmp.dir, ['bridge', 'deposit', '5', '--json'])
    expect(dep.exitCode, dep.stderr).toBe(0)
    expectSchema('bridge deposit', dep.json)
    expect(dep.json.amount).toBe(parseEther('5').toString())
    expect(await l2.getBalance({address: s.accounts[0].address})).toBe(before + parseEther('5'))

    const status = await cli(tmp.dir, ['devnet', 'status', '--json'])
    expect(status.exitCode).toBe(0)
    expectSchema('devnet status', status.json)
    expect(status.json).toMatchObject({running: true, supervisorPid: s.supervisorPid})

    const stop = await cli(tmp.dir, ['devnet', 'stop', '--json'])
    expect(stop.exitCode).toBe(0)
    expectSchema('devnet stop', stop.json)
    expect(stop.json.stopped).toBe(true)
    const anvils = [status.json.l1.pid, status.json.l2.pid, s.supervisorPid]
    expect(anvils.filter(isProcessAlive)).toEqual([])

    const after = await cli(tmp.dir, ['devnet', 'status', '--json'])
    expect(after.exitCode).toBe(3)
    expectSchema('devnet status', after.json)
    expect(after.json.running).toBe(false)
  })

  it('a supervisor killed with SIGKILL takes its anvils with it', async () => {
    const dir = tempDir()
    const start = await cli(dir.dir, ['devnet', 'start', '--detach', '--json', '--l1-port', '0', '--l2-port', '0'])
    expect(start.exitCode, start.stderr).toBe(0)
    const status = await cli(dir.dir, ['devnet', 'status', '--json'])
    const pids = [status.json.l1.pid, status.json.l2.pid]
    expect(pids.filter(isProcessAlive)).toHaveLength(2)
    process.kill(start.json.supervisorPid, 'SIGKILL')
    const deadline = Date.now() + 10_000
    while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(pids.filter(isProcessAlive)).toEqual([])
    // The stale state file is recognised and cleaned up.
    const stop = await cli(dir.dir, ['devnet', 'stop'])
    expect(stop.exitCode).toBe(3)
    dir.cleanup()
  })

  it('stop with nothing running: one line, exit 3', async () => {
    const r = await cli(tmp.dir, ['devnet', 'stop'])
    expect(r.exitCode).toBe(3)
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^Error: no devnet is running for this folder/)
    const j = await cli(tmp.dir, ['devnet', 'stop', '--json'])
    expectSchema('devnet stop', j.json)
    expect(j.json.error).toMatchObject({code: 'E_DEVNET_NOT_RUNNING'})
  })

  it('a taken port: one line naming the flag, exit 2, nothing left running', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as {port: number}).port
    try {
      const r = await cli(tmp.dir, ['devnet', 'start', '--detach', '--l1-port', String(port), '--l2-port', '0'])
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toContain(`port ${port} is already in use (--l1-port)`)
      expect((await cli(tmp.dir, ['devnet', 'status'])).exitCode).toBe(3)
    } finally {
      server.close()
    }
  })

  it('a corrupt state file is named, with exit 3', async () => {
    const dir = tempDir()
    mkdirSync(join(dir.dir, '.openledger'), {recursive: true})
    writeFileSync(join(dir.dir, '.openledger', 'devnet.json'), '{"version":1,')
    const r = await cli(dir.dir, ['devnet', 'status'])
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toMatch(/devnet\.json is corrupt/)
    dir.cleanup()
  })

  it('a bad amount names the argument', async () => {
    const r = await cli(tmp.dir, ['bridge', 'deposit', 'five', '--json'])
    expect(r.exitCode).toBe(2)
    expect(r.json.error.message).toMatch(/amount "five" is not an amount of OPEN/)
  })

  it('prints a large --json document whole through a pipe', async () => {
    const dir = tempDir()
    const rows = Array.from({length: 3000}, (_, i) =>
      JSON.stringify({text: `record number ${i} with some words to make it longer`, label: i % 2 ? 'a' : 'b'}),
    )
    writeFileSync(join(dir.dir, 'rows.jsonl'), rows.join('\n'))
    expect((await cli(dir.dir, ['datanet', 'create', 'big'])).exitCode).toBe(0)
    expect(
      (await cli(dir.dir, ['datanet', 'add', 'big', 'rows.jsonl', '--contributor', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'])).exitCode,
    ).toBe(0)
    const r = await cli(dir.dir, ['datanet', 'records', 'big', '--version', 'draft', '--json'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(200_000)
    expect(r.json).toHaveLength(3000)
    dir.cleanup()
  })

  it('parse errors are one line naming the argument or flag', async () => {
    const missing = await cli(tmp.dir, ['datanet', 'proof', '--json'])
    expect([missing.exitCode, missing.json.error.message]).toEqual([2, 'Missing 2 required args: name, recordHash'])
    const bad = await cli(tmp.dir, ['devnet', 'logs', '-n', '0'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr.trim()).toBe('Error: Parsing --lines: Expected an integer greater than or equal to 1 but received: 0')
    const unknown = await cli(tmp.dir, ['devnet', 'start', '--nope', '--json'])
    expect([unknown.exitCode, unknown.json.error.message]).toEqual([2, 'Nonexistent flag: --nope'])
    // oclif's singular form ("The following error occurred:") used to be all a user saw.
    const required = await cli(tmp.dir, ['infer', 'my card was charged twice'])
    expect(required.exitCode).toBe(2)
    expect(required.stderr.trim()).toBe('Error: Missing required flag model')
    const requiredJson = await cli(tmp.dir, ['publish', '--json'])
    expect([requiredJson.exitCode, requiredJson.json.error.message]).toEqual([2, 'Missing required flag model'])
  })

  it('help lists the topics that exist', async () => {
    const r = await cli(tmp.dir, ['--help'])
    expect(r.exitCode).toBe(0)
    for (const topic of ['devnet', 'bridge', 'contracts', 'doctor']) expect(r.stdout).toContain(topic)
  })
})
