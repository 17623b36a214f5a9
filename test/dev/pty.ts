import {execa} from 'execa'
import {expect, vi} from 'vitest'

import {BIN} from '../helpers/cli.js'
import {TEST_CACHE_DIR} from '../helpers/env.js'

export type PtyRun = {
  /** Everything drawn so far, escape sequences included. */
  output(): string
  /** Waits until the output (escape sequences removed) shows `text`. */
  shows(text: string | RegExp): Promise<void>
  /** Types into the terminal: '\r' is enter, '\u0003' is Ctrl-C (the terminal turns it into SIGINT). */
  type(keys: string): void
  exited: Promise<{exitCode: number}>
}

/** Escape sequences (colour, cursor moves, modes) taken out, to read what a person sees. */
export const visible = (s: string) => s.replace(/\u001B\[[?\d;]*[A-Za-z]|\u001B\][^\u0007]*\u0007/g, '')

/**
 * `openledger <args>` on a real pseudo-terminal (util-linux `script`), as a person runs it: a TTY on
 * stdin, stdout and stderr, 100×40, in a clean environment plus `env`.
 */
export function onPty(cwd: string, args: string[], env: Record<string, string>): PtyRun {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, BIN, ...args].map(q).join(' ')
  // A pty made by `script` has no size (0 columns makes ink wrap after every character): give it one.
  const child = execa('script', ['-qefc', `stty cols 100 rows 40; exec ${command}`, '/dev/null'], {
    cwd,
    reject: false,
    stdin: 'pipe',
    env: {PATH: process.env.PATH!, HOME: process.env.HOME!, TERM: 'xterm-256color', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR, ...env},
    extendEnv: false,
  })
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
  return {
    output: () => out,
    shows: (text) =>
      vi.waitFor(
        () => {
          const seen = visible(out)
          if (child.exitCode !== null && !(typeof text === 'string' ? seen.includes(text) : text.test(seen)))
            throw new Error(`exited (${child.exitCode}) without showing ${text}:\n${seen}`)
          if (typeof text === 'string') expect(seen).toContain(text)
          else expect(seen).toMatch(text)
        },
        {timeout: 60_000, interval: 20},
      ),
    type: (keys) => child.stdin!.write(keys),
    exited: child.then((r) => {
      return {exitCode: r.exitCode ?? -1}
    }),
  }
}
