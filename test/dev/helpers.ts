import {join} from 'node:path'

import {expect} from 'vitest'

import {type CliResult, cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'

/** Devnets started by these tests take free ports, so test files can run side by side. */
export const DEV_ENV = {OPENLEDGER_L1_PORT: '0', OPENLEDGER_L2_PORT: '0'}

export type Project = {root: string; dir: string; run: (args: string[]) => Promise<CliResult>; cleanup: () => Promise<void>}

/** `init <tmp>/app --template <t>` with stdin closed; `run` runs the CLI inside the project. */
export async function initProject(template: string): Promise<Project> {
  const tmp = tempDir(`openledger-dev-${template}-`)
  const r = await cli(tmp.dir, ['init', 'app', '--template', template, '--json'])
  expect(r.exitCode, r.stderr).toBe(0)
  const dir = join(tmp.dir, 'app')
  return {
    root: tmp.dir,
    dir,
    run: (args) => cli(dir, args, DEV_ENV),
    cleanup: async () => {
      await cli(dir, ['devnet', 'stop'], DEV_ENV)
      tmp.cleanup()
    },
  }
}

/** Asserts the shape `dev --once --json` promises. */
export function expectSummaryShape(s: any): void {
  expectSchema('dev', s)
  expect(s.devnet).toMatchObject({
    l1: {rpcUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), chainId: 31337},
    l2: {rpcUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), chainId: 16121337},
    supervisorPid: expect.any(Number),
  })
  for (const d of s.datanets) {
    expect(d).toMatchObject({
      name: expect.any(String),
      version: expect.any(Number),
      root: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      changed: expect.any(Boolean),
    })
  }
  for (const m of s.models) {
    expect(m).toMatchObject({
      name: expect.any(String),
      artifact: expect.stringMatching(/^\/.*\/\.openledger\/models\/[^/]+$/),
      trained: expect.any(Boolean),
    })
    expect(m.cid).toMatch(/^bafy[a-z2-7]+$/)
  }
}
