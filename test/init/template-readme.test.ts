import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {delimiter, join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {TEST_CACHE_DIR, tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'

/** The command lines of a README's fenced `sh` blocks, in order: `\` continuations joined, blank lines dropped. */
export function readmeShellLines(markdown: string): string[] {
  const lines: string[] = []
  for (const [, body] of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of body.replace(/\\\n\s*/g, ' ').split('\n')) if (line.trim() !== '') lines.push(line.trim())
  }
  return lines
}

// A user's steps, run literally: `openledger` is whatever is on PATH, here this checkout's bin/run.js.
describe('the community-datanet README, run line by line as written', () => {
  const tmp = tempDir('openledger-readme-')
  const dir = join(tmp.dir, 'city')
  const binDir = join(tmp.dir, 'bin')
  // Devnets started here take free ports (port 0), so this file runs beside the others.
  const env = {
    PATH: `${binDir}${delimiter}${process.env.PATH}`,
    NO_COLOR: '1',
    NODE_ENV: 'production',
    OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR,
    OPENLEDGER_L1_PORT: '0',
    OPENLEDGER_L2_PORT: '0',
  }
  beforeAll(async () => {
    mkdirSync(binDir)
    writeFileSync(join(binDir, 'openledger'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(join(binDir, 'openledger'), 0o755)
    const r = await cli(tmp.dir, ['init', dir, '--template', 'community-datanet'])
    expect(r.exitCode, r.stderr).toBe(0)
  })
  afterAll(async () => {
    await cli(dir, ['devnet', 'stop'], env)
    tmp.cleanup()
  })

  it('every sh line of the generated README runs with the openledger on PATH and exits 0', async () => {
    const lines = readmeShellLines(readFileSync(join(dir, 'README.md'), 'utf8'))
    // The flow the README promises: a first pass, contributions, a review, a second pass, paid inference.
    expect(lines[0]).toMatch(/^openledger dev --once\b/)
    expect(lines.some((l) => /^openledger datanet review city-reports --approve/.test(l))).toBe(true)
    expect(lines.some((l) => / --pay\b/.test(l))).toBe(true)
    for (const line of lines) {
      expect(line, 'README steps use the openledger on PATH').toMatch(/^openledger /)
      const r = await execa('sh', ['-c', line], {cwd: dir, env, extendEnv: true, reject: false, stdin: 'ignore', timeout: 180_000})
      expect(r.exitCode, `${line}\n${r.stderr}`).toBe(0)
    }
    // What the steps did: two versions, the second with the approved contributions.
    const show = await cli(dir, ['datanet', 'show', 'city-reports', '--json'], env)
    expectSchema('datanet show', show.json)
    expect(show.json.versionHistory.map((v: {version: number}) => v.version)).toEqual([1, 2])
    expect(show.json.contributions.map((c: {status: string}) => c.status)).toEqual(['approved', 'approved', 'rejected'])
  }, 600_000)
})
