import {appendFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {type LoadedProjectConfig, validateProjectConfig} from '../../src/config/index.js'
import {expandFiles, globToRegExp} from '../../src/dev/files.js'
import {isWatchedPath} from '../../src/dev/watch.js'
import {BIN} from '../helpers/cli.js'
import {TEST_CACHE_DIR, tempDir} from '../helpers/env.js'
import {DEV_ENV, type Project, initProject} from './helpers.js'

describe('datanet file globs', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('globToRegExp: *, **, ?, [..]', () => {
    expect(globToRegExp('data/*.jsonl').test('data/a.jsonl')).toBe(true)
    expect(globToRegExp('data/*.jsonl').test('data/x/a.jsonl')).toBe(false)
    expect(globToRegExp('data/**/*.jsonl').test('data/a.jsonl')).toBe(true)
    expect(globToRegExp('data/**/*.jsonl').test('data/x/y/a.jsonl')).toBe(true)
    expect(globToRegExp('data/?.csv').test('data/a.csv')).toBe(true)
    expect(globToRegExp('data/[ab].csv').test('data/c.csv')).toBe(false)
    expect(globToRegExp('a.b').test('axb')).toBe(false)
  })

  it('expandFiles: plain paths, folders and globs, sorted and de-duplicated; no match names the JSON path', () => {
    const mk = (f: string) => {
      const p = join(tmp.dir, f)
      mkdirSync(join(p, '..'), {recursive: true})
      writeFileSync(p, '{"text":"x"}\n')
    }
    mk('data/b.jsonl')
    mk('data/a.jsonl')
    mk('data/more/c.jsonl')
    mk('data/.hidden.jsonl')
    expect(expandFiles(tmp.dir, ['data/*.jsonl', 'data/a.jsonl'], '$.datanets[0].files', 'openledger.config.json')).toEqual([
      'data/a.jsonl',
      'data/b.jsonl',
    ])
    expect(expandFiles(tmp.dir, ['data'], '$.datanets[0].files', 'openledger.config.json')).toEqual([
      'data/a.jsonl',
      'data/b.jsonl',
      'data/more/c.jsonl',
    ])
    expect(expandFiles(tmp.dir, ['./data/**/*.jsonl'], '$.datanets[0].files', 'openledger.config.json')).toEqual([
      'data/a.jsonl',
      'data/b.jsonl',
      'data/more/c.jsonl',
    ])
    expect(() => expandFiles(tmp.dir, ['data/a.jsonl', 'data/*.csv'], '$.datanets[0].files', 'openledger.config.json')).toThrow(
      'openledger.config.json: $.datanets[0].files[1] "data/*.csv" matches no file',
    )
    expect(() => expandFiles(tmp.dir, ['missing.jsonl'], '$.datanets[2].files', 'openledger.config.json')).toThrow(
      'openledger.config.json: $.datanets[2].files[0] "missing.jsonl": no such file or folder',
    )
  })

  it('isWatchedPath: the config and the datanets inputs, never .openledger or node_modules', () => {
    const config = validateProjectConfig({name: 'x', datanets: [{name: 'd', files: ['data/**/*.jsonl', 'extra']}]})
    const loaded: LoadedProjectConfig = {path: join(tmp.dir, 'openledger.config.json'), dir: tmp.dir, config}
    expect(isWatchedPath(loaded, 'openledger.config.json')).toBe(true)
    expect(isWatchedPath(loaded, 'data/seed/a.jsonl')).toBe(true)
    expect(isWatchedPath(loaded, 'extra/notes.md')).toBe(true)
    expect(isWatchedPath(loaded, 'README.md')).toBe(false)
    expect(isWatchedPath(loaded, '.openledger/datanets/d/draft.jsonl')).toBe(false)
    expect(isWatchedPath(loaded, 'node_modules/x/data/a.jsonl')).toBe(false)
  })
})

describe('dev without --once: watches, runs again what changed, stops on SIGTERM', () => {
  let p: Project
  beforeAll(async () => {
    p = await initProject('text-classifier')
  })
  afterAll(() => p.cleanup())

  it('a new row → version 2 and a retrain; a broken config is reported and the watch goes on', async () => {
    const child = execa(process.execPath, [BIN, 'dev', '--port', '0'], {
      cwd: p.dir,
      stdin: 'ignore',
      reject: false,
      env: {NO_COLOR: '1', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR, ...DEV_ENV},
    })
    let err = ''
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()))
    /** Waits for `re` in what dev printed after `after`; returns where the output now ends. */
    const waitFor = async (re: RegExp, after = 0) => {
      await vi.waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`dev exited (${child.exitCode}); stderr:\n${err}`)
          if (!re.test(err.slice(after))) throw new Error(`waiting for ${re}; stderr:\n${err}`)
        },
        {timeout: 60_000, interval: 20},
      )
      return err.length
    }
    try {
      let mark = await waitFor(/serving ticket-router on http:\/\/127\.0\.0\.1:\d+/)
      expect(err).toMatch(/support-tickets: published version 1/)
      const url = /serving ticket-router on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]
      expect((await fetch(`${url}/health`)).status).toBe(200)
      const res = await fetch(`${url}/v1/infer`, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({model: 'ticket-router', text: 'I was charged twice for one order'}),
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as any).prediction.label).toBe('billing')

      appendFileSync(
        join(p.dir, 'data', 'tickets.jsonl'),
        JSON.stringify({text: 'The courier left my parcel at the wrong house.', label: 'shipping'}) + '\n',
      )
      mark = await waitFor(/published version 2: 321 records \(1 new\)[\s\S]*ticket-router: trained[\s\S]*serving ticket-router on/, mark)

      const path = join(p.dir, 'openledger.config.json')
      const good = readFileSync(path, 'utf8')
      writeFileSync(path, good.replace('"seed": 7', '"seed": "7"'))
      mark = await waitFor(/error: openledger\.config\.json: \$\.models\[0\]\.seed must be an integer/, mark)

      writeFileSync(path, good.replace('"seed": 7', '"seed": 9'))
      mark = await waitFor(/ticket-router: trained[\s\S]*watching for changes/, mark)
      expect(err.slice(mark)).not.toMatch(/published version 3/)
    } finally {
      child.kill('SIGTERM')
    }
    const r = await child
    expect(r.exitCode, err).toBe(0)
    expect(err).toMatch(/stopped watching; the devnet is still up/)
  })
})
