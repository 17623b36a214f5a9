import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {TEST_CACHE_DIR, tempDir} from '../helpers/env.js'

/** An SGR sequence (colour, bold, dim, inverse): what NO_COLOR forbids. Cursor moves are allowed. */
const SGR = /\u001B\[[\d;]*m/

/**
 * Runs `openledger init <dir>` on a real pseudo-terminal (util-linux `script`), answers the ink
 * wizard (enter on the first template, enter on the name, y), and returns everything it drew.
 */
async function wizardOnPty(cwd: string, dir: string, env: Record<string, string>): Promise<{exitCode: number; output: string}> {
  const command = [process.execPath, BIN, 'init', dir].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  // A pty made by `script` has no size (0 columns makes ink wrap after every character): give it one.
  const child = execa('script', ['-qefc', `stty cols 100 rows 40; exec ${command}`, '/dev/null'], {
    cwd,
    reject: false,
    stdin: 'pipe',
    // A clean environment: a terminal that can show colour unless told not to.
    env: {PATH: process.env.PATH!, HOME: process.env.HOME!, TERM: 'xterm-256color', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR, ...env},
    extendEnv: false,
  })
  let output = ''
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()))
  const shows = (text: string) =>
    vi.waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`init exited (${child.exitCode}):\n${output}`)
        expect(output).toContain(text)
      },
      {timeout: 30_000, interval: 20},
    )
  try {
    await shows('Pick a template')
    child.stdin!.write('\r')
    await shows('Project name')
    child.stdin!.write('\r')
    await shows('Create it?')
    child.stdin!.write('y')
    await vi.waitFor(() => expect(output).toContain('Created '), {timeout: 30_000, interval: 20})
  } finally {
    child.stdin!.end()
  }
  const r = await child
  return {exitCode: r.exitCode ?? -1, output}
}

describe.skipIf(process.platform !== 'linux')('colour: NO_COLOR and non-terminals get none, ink views included', () => {
  const tmp = tempDir('openledger-color-')
  afterAll(() => tmp.cleanup())

  it('the init wizard on a terminal: coloured by default, no SGR sequence under NO_COLOR=1', async () => {
    const plain = await wizardOnPty(tmp.dir, 'plain-app', {NO_COLOR: '1'})
    expect(plain.exitCode, plain.output).toBe(0)
    expect(existsSync(join(tmp.dir, 'plain-app', 'openledger.config.json'))).toBe(true)
    expect(plain.output).not.toMatch(SGR)

    // The same run without NO_COLOR shows colour: the check above can fail.
    const coloured = await wizardOnPty(tmp.dir, 'coloured-app', {})
    expect(coloured.exitCode, coloured.output).toBe(0)
    expect(coloured.output).toMatch(SGR)
  })

  it('piped output has no escape sequence at all', async () => {
    const r = await cli(tmp.dir, ['init', 'piped-app', '--template', 'text-classifier'], {NO_COLOR: ''})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).not.toContain('\u001B[')
    const list = await cli(tmp.dir, ['init', '--list'], {NO_COLOR: ''})
    expect(list.stdout + list.stderr).not.toContain('\u001B[')
  })
})
