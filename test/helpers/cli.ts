import {join} from 'node:path'

import {execa} from 'execa'

import {TEST_CACHE_DIR} from './env.js'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'run.js')

export type CliResult = {exitCode: number; stdout: string; stderr: string; json: any}

/**
 * Runs the built CLI (`bin/run.js`) as a user would: its own process, stdin closed, no colour,
 * in `cwd`. `json` is stdout parsed when it is JSON.
 */
export async function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    cwd,
    reject: false,
    stdin: 'ignore',
    // As a user runs it: vitest's NODE_ENV=test would turn on oclif's development warnings.
    env: {NO_COLOR: '1', NODE_ENV: 'production', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR, ...env},
    timeout: 120_000,
  })
  let json: unknown
  try {
    json = JSON.parse(r.stdout)
  } catch {}
  return {exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json}
}
