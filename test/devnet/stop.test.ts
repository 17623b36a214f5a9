import {type ChildProcess, spawn} from 'node:child_process'
import {join} from 'node:path'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {cli} from '../helpers/cli.js'
import {stopDevnet} from '../../src/devnet/control.js'
import {isSameProcess, processIdentity} from '../../src/devnet/process-identity.js'
import {type DevnetState, isProcessAlive, readDevnetState, writeDevnetState} from '../../src/devnet/state.js'
import {readJsonFile} from '../../src/store/atomic.js'

/** A process that is not the devnet's, standing where a recycled pid would. */
function bystander(): ChildProcess {
  return spawn('sleep', ['300'], {stdio: 'ignore'})
}

describe('process identity', () => {
  const started: ChildProcess[] = []
  afterEach(() => {
    for (const p of started.splice(0)) p.kill('SIGKILL')
  })

  it('names a process by its start time and command line', () => {
    const p = bystander()
    started.push(p)
    const id = processIdentity(p.pid!)!
    expect(id.command).toBe('sleep 300')
    expect(isSameProcess(id)).toBe(true)
    expect(isSameProcess({...id, startTime: String(Number(id.startTime) - 1)})).toBe(false)
    expect(isSameProcess({...id, command: 'anvil --port 8545'})).toBe(false)
  })

  it('knows no identity for a process that is gone', async () => {
    const p = bystander()
    const id = processIdentity(p.pid!)!
    p.kill('SIGKILL')
    await new Promise((r) => p.once('exit', r))
    expect(processIdentity(id.pid)).toBeUndefined()
    expect(isSameProcess(id)).toBe(false)
  })
})

describe('devnet stop signals only what the devnet started', () => {
  const tmp = tempDir()
  const started: ChildProcess[] = []
  afterAll(async () => {
    for (const p of started) p.kill('SIGKILL')
    await cli(tmp.dir, ['devnet', 'stop'])
    tmp.cleanup()
  })

  it('leaves alone a process now holding the recorded supervisor pid', async () => {
    const dir = tempDir()
    try {
      const other = bystander()
      started.push(other)
      const id = processIdentity(other.pid!)!
      const state = {
        version: 1,
        supervisorPid: other.pid!,
        // What the devnet recorded when it started: the same pid, an earlier process.
        supervisor: {pid: other.pid!, startTime: String(Number(id.startTime) - 100), command: 'node supervisor-main.js {}'},
        startedAt: new Date().toISOString(),
        l1: {rpcUrl: 'http://127.0.0.1:1', chainId: 31_337, port: 1, pid: other.pid!},
        l2: {rpcUrl: 'http://127.0.0.1:2', chainId: 16_121_337, port: 2, pid: other.pid!},
        contracts: {},
        deployments: [],
        accounts: [],
        roles: {admin: '0x0', treasury: '0x0', relayer: '0x0'},
        genesis: {key: 'k', fromCache: true},
        snapshots: {},
      } as unknown as DevnetState
      writeDevnetState(state, dir.dir)
      await expect(stopDevnet(dir.dir, 2000)).rejects.toMatchObject({code: 'E_DEVNET_NOT_RUNNING'})
      expect(isProcessAlive(other.pid!)).toBe(true)
      expect(readDevnetState(dir.dir)).toBeUndefined()
    } finally {
      dir.cleanup()
    }
  })

  it('stops a real devnet without signalling a process that took an anvil’s pid', async () => {
    const start = await cli(tmp.dir, ['devnet', 'start', '--detach', '--json', '--l1-port', '0', '--l2-port', '0'])
    expect(start.exitCode, start.stderr).toBe(0)
    const path = join(tmp.dir, '.openledger')
    const state = readJsonFile<DevnetState>(join(path, 'devnet.json'))!
    expect(state.supervisor?.command).toMatch(/supervisor-main/)
    expect(state.l1.process?.command).toMatch(/anvil .*--chain-id 31337/)
    expect(state.l2.process?.command).toMatch(/anvil .*--chain-id 16121337/)
    // As if the L1 anvil had died and the kernel had given its pid to another program since.
    const other = bystander()
    started.push(other)
    const realL1 = state.l1.pid
    const id = processIdentity(other.pid!)!
    writeDevnetState({...state, l1: {...state.l1, pid: other.pid!, process: {...id, startTime: String(Number(id.startTime) - 1)}}}, path)

    const stop = await cli(tmp.dir, ['devnet', 'stop', '--json'])
    expect(stop.exitCode, stop.stderr).toBe(0)
    expect(stop.json).toMatchObject({stopped: true, forced: false})
    expect(isProcessAlive(other.pid!)).toBe(true)
    expect([state.supervisorPid, realL1, state.l2.pid].filter(isProcessAlive)).toEqual([])
  })
})
