/**
 * bin/run.js loads oclif (dist/app/oclif.cjs) through V8's code cache in the user's cache folder:
 * written by the first run, used by later ones, and a cache V8 refuses is replaced, never fatal.
 * Needs `npm run build`.
 */
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'))

describe('V8 code cache of the CLI bundle', () => {
  const tmp = tempDir('ol-v8-cache-')
  afterAll(() => tmp.cleanup())
  const env = {OPENLEDGER_CACHE_DIR: join(tmp.dir, 'cache')}
  const v8Dir = join(tmp.dir, 'cache', 'v8')
  const caches = () => readdirSync(v8Dir).filter((f) => f.startsWith('oclif.cjs-') && f.endsWith('.bin'))

  it('is written by the first run and read by the next, with the same output', async () => {
    const first = await cli(tmp.dir, ['--version'], env)
    expect(first.exitCode, first.stderr).toBe(0)
    expect(first.stdout).toContain(`openledger/${pkg.version}`)
    expect(caches()).toHaveLength(1)
    const written = readFileSync(join(v8Dir, caches()[0]))
    expect(written.length).toBeGreaterThan(1000)
    const second = await cli(tmp.dir, ['--version'], env)
    expect([second.exitCode, second.stdout]).toEqual([0, first.stdout])
    // Accepted, so not written again.
    expect(readFileSync(join(v8Dir, caches()[0])).equals(written)).toBe(true)
  })

  it('a cache V8 refuses is replaced, and the command runs as usual', async () => {
    const [name] = caches()
    writeFileSync(join(v8Dir, name), Buffer.alloc(4096, 7))
    const r = await cli(tmp.dir, ['datanet', 'list'], env)
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain('No datanets yet')
    expect(caches()).toEqual([name])
    expect(readFileSync(join(v8Dir, name)).equals(Buffer.alloc(4096, 7))).toBe(false)
  })
})
