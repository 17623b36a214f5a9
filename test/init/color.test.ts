import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {onPty} from '../dev/pty.js'
import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'

/** An SGR sequence (colour, bold, dim, inverse): what NO_COLOR forbids. Cursor moves are allowed. */
const SGR = /\u001B\[[\d;]*m/

/** `openledger init <dir>` on a real terminal, answering the ink wizard: enter, enter, y. */
async function wizardOnPty(cwd: string, dir: string, env: Record<string, string>): Promise<{exitCode: number; output: string}> {
  const pty = onPty(cwd, ['init', dir], env)
  await pty.shows('Pick a template')
  pty.type('\r')
  await pty.shows('Project name')
  pty.type('\r')
  await pty.shows('Create it?')
  pty.type('y')
  await pty.shows('Created ')
  pty.type('\u0004')
  const {exitCode} = await pty.exited
  return {exitCode, output: pty.output()}
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
