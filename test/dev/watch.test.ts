import {appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {type LoadedProjectConfig, validateProjectConfig} from '../../src/config/index.js'
import {expandFiles, globToRegExp} from '../../src/dev/files.js'
import {watchFolders} from '../../src/dev/folder-watch.js'
import {isWatchedPath} from '../../src/dev/watch.js'
import {isProcessAlive} from '../../src/devnet/state.js'
import {BIN, cli} from '../helpers/cli.js'
import {TEST_CACHE_DIR, tempDir} from '../helpers/env.js'
import {DEV_ENV, type Project, initProject} from './helpers.js'
import {onPty, visible} from './pty.js'

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

/** Starts `dev` in the project as a real child process; `waitFor` polls its stderr for a pattern. */
function startDev(dir: string) {
  const child = execa(process.execPath, [BIN, 'dev', '--port', '0'], {
    cwd: dir,
    stdin: 'ignore',
    reject: false,
    env: {NO_COLOR: '1', NODE_ENV: 'production', OPENLEDGER_CACHE_DIR: TEST_CACHE_DIR, ...DEV_ENV},
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
  return {child, waitFor, stderr: () => err}
}

/** Saves `path` as many editors do: the new content into a temp file beside it, renamed over it. */
function saveByRename(path: string, content: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  writeFileSync(tmp, content)
  renameSync(tmp, path)
}

describe('watchFolders: folder watches, so rename-over saves keep counting', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('reports every save of a file replaced by rename, files in new folders, never skipped folders', async () => {
    mkdirSync(join(tmp.dir, 'data'))
    mkdirSync(join(tmp.dir, 'node_modules'))
    writeFileSync(join(tmp.dir, 'data', 'a.jsonl'), '1\n')
    const seen: string[] = []
    const w = watchFolders(tmp.dir, {skip: (_rel, name) => name === 'node_modules' || name.startsWith('.'), onChange: (r) => seen.push(r)})
    try {
      expect(w.folders()).toEqual(['', 'data'])
      for (let i = 2; i <= 4; i++) {
        const before = seen.length
        saveByRename(join(tmp.dir, 'data', 'a.jsonl'), `${i}\n`)
        await vi.waitFor(() => expect(seen.slice(before)).toContain('data/a.jsonl'), {timeout: 5000, interval: 10})
      }
      const sed = await execa('sed', ['-i', 's/4/5/', join(tmp.dir, 'data', 'a.jsonl')])
      expect(sed.exitCode).toBe(0)
      await vi.waitFor(() => expect(seen.filter((r) => r === 'data/a.jsonl').length).toBeGreaterThanOrEqual(4), {
        timeout: 5000,
        interval: 10,
      })

      mkdirSync(join(tmp.dir, 'data', 'more'))
      await vi.waitFor(() => expect(w.folders()).toContain('data/more'), {timeout: 5000, interval: 10})
      writeFileSync(join(tmp.dir, 'data', 'more', 'b.jsonl'), 'x\n')
      await vi.waitFor(() => expect(seen).toContain('data/more/b.jsonl'), {timeout: 5000, interval: 10})

      writeFileSync(join(tmp.dir, 'node_modules', 'c.jsonl'), 'x\n')
      writeFileSync(join(tmp.dir, 'data', 'last.jsonl'), 'x\n')
      await vi.waitFor(() => expect(seen).toContain('data/last.jsonl'), {timeout: 5000, interval: 10})
      expect(seen.filter((r) => r.startsWith('node_modules/'))).toEqual([])
      expect(w.folders()).not.toContain('node_modules')
    } finally {
      w.close()
    }
    expect(w.folders()).toEqual([])
  })
})

describe('dev without --once: watches, runs again what changed, stops on SIGINT', () => {
  let p: Project
  beforeAll(async () => {
    p = await initProject('text-classifier')
  })
  afterAll(() => p.cleanup())

  it('every save counts (append, rename-over, sed -i twice); a broken config is reported; Ctrl-C stops the devnet it started', async () => {
    const {child, waitFor, stderr} = startDev(p.dir)
    const data = join(p.dir, 'data', 'tickets.jsonl')
    const row = (text: string, label: string) => JSON.stringify({text, label}) + '\n'
    let supervisorPid: number
    try {
      let mark = await waitFor(/serving ticket-router on http:\/\/127\.0\.0\.1:\d+/)
      expect(stderr()).toMatch(/support-tickets: published version 1/)
      supervisorPid = JSON.parse(readFileSync(join(p.dir, '.openledger', 'devnet.json'), 'utf8')).supervisorPid
      const url = /serving ticket-router on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr())![1]
      expect((await fetch(`${url}/health`)).status).toBe(200)
      const res = await fetch(`${url}/v1/infer`, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({model: 'ticket-router', text: 'I was charged twice for one order'}),
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as any).prediction.label).toBe('billing')

      appendFileSync(data, row('The courier left my parcel at the wrong house.', 'shipping'))
      mark = await waitFor(/published version 2: 321 records \(1 new\)[\s\S]*ticket-router: trained[\s\S]*serving ticket-router on/, mark)

      // An editor's save: the file replaced by a rename (a new inode under the same name).
      saveByRename(data, readFileSync(data, 'utf8') + row('My parcel has been stuck in customs for two weeks.', 'shipping'))
      mark = await waitFor(/published version 3: 322 records \(1 new\)[\s\S]*watching for changes/, mark)

      // sed -i does the same (temp file + rename), twice on the same file: the second still counts.
      for (const [version, text] of [
        [4, 'I cannot log in after resetting my password.'],
        [5, 'Please close my account and delete my data.'],
      ] as const) {
        const sed = await execa('sed', ['-i', `$a ${row(text, 'account').trim()}`, data])
        expect(sed.exitCode).toBe(0)
        mark = await waitFor(
          new RegExp(`published version ${version}: ${319 + version} records \\(1 new\\)[\\s\\S]*watching for changes`),
          mark,
        )
      }

      const config = join(p.dir, 'openledger.config.json')
      const good = readFileSync(config, 'utf8')
      const sed = await execa('sed', ['-i', 's/"seed": 7/"seed": "7"/', config])
      expect(sed.exitCode).toBe(0)
      mark = await waitFor(/error: openledger\.config\.json: \$\.models\[0\]\.seed must be an integer/, mark)

      saveByRename(config, good.replace('"seed": 7', '"seed": 9'))
      mark = await waitFor(/ticket-router: trained[\s\S]*watching for changes/, mark)
      expect(stderr().slice(mark)).not.toMatch(/published version 6/)
    } finally {
      child.kill('SIGINT')
    }
    const r = await child
    expect(r.exitCode, stderr()).toBe(0)
    expect(stderr()).toMatch(/stopped the devnet this run started \(L2 http:\/\/127\.0\.0\.1:\d+\)/)
    expect(stderr()).toMatch(/stopped watching/)
    expect(isProcessAlive(supervisorPid!)).toBe(false)
    expect((await p.run(['devnet', 'status', '--json'])).json).toMatchObject({running: false})
  }, 240_000)

  it('Ctrl-C during the first pass: the devnet it had just started is stopped, the pass abandoned', async () => {
    const {child, waitFor, stderr} = startDev(p.dir)
    try {
      await waitFor(/devnet +started: L2 http/)
    } finally {
      child.kill('SIGINT')
    }
    const r = await child
    expect(r.exitCode, stderr()).toBe(0)
    expect(stderr()).toMatch(/stopped the devnet this run started[\s\S]*stopped watching \(the pass in progress was abandoned\)/)
    expect((await p.run(['devnet', 'status', '--json'])).json).toMatchObject({running: false})
  }, 120_000)
})

describe('dev on a devnet it did not start: Ctrl-C leaves it running and says so', () => {
  const tmp = tempDir('openledger-dev-prestarted-')
  afterAll(async () => {
    await cli(tmp.dir, ['devnet', 'stop'], DEV_ENV)
    tmp.cleanup()
  })

  it('SIGTERM: exit 0, the devnet still answers', async () => {
    writeFileSync(join(tmp.dir, 'openledger.config.json'), JSON.stringify({name: 'plain', network: 'devnet'}))
    const started = await cli(tmp.dir, ['devnet', 'start', '--detach', '--json'], DEV_ENV)
    expect(started.exitCode, started.stderr).toBe(0)
    const {child, waitFor, stderr} = startDev(tmp.dir)
    try {
      await waitFor(/reusing the running devnet[\s\S]*watching for changes/)
    } finally {
      child.kill('SIGTERM')
    }
    const r = await child
    expect(r.exitCode, stderr()).toBe(0)
    expect(stderr()).toMatch(
      new RegExp(
        `left running: the devnet \\(L2 http://127\\.0\\.0\\.1:\\d+, supervisor pid ${started.json.supervisorPid}\\) was up before dev started`,
      ),
    )
    expect((await cli(tmp.dir, ['devnet', 'status', '--json'], DEV_ENV)).json).toMatchObject({running: true})
  }, 120_000)
})

describe.skipIf(process.platform !== 'linux')('dev on a terminal: the ink view, no colour under NO_COLOR, a real Ctrl-C', () => {
  const tmp = tempDir('openledger-dev-pty-')
  afterAll(async () => {
    await cli(tmp.dir, ['devnet', 'stop'], DEV_ENV)
    tmp.cleanup()
  })

  it('^C typed on the terminal stops the devnet dev started, and says so', async () => {
    writeFileSync(join(tmp.dir, 'openledger.config.json'), JSON.stringify({name: 'plain', network: 'devnet'}))
    const pty = onPty(tmp.dir, ['dev'], {...DEV_ENV, NO_COLOR: '1', NODE_ENV: 'production'})
    await pty.shows(/L2 http:\/\/127\.0\.0\.1:\d+ · chain 16121337/)
    await pty.shows('Ctrl-C stops')
    const {supervisorPid} = JSON.parse(readFileSync(join(tmp.dir, '.openledger', 'devnet.json'), 'utf8'))
    pty.type('\u0003')
    await pty.shows(/stopped the devnet this run started \(L2 http:\/\/127\.0\.0\.1:\d+\)/)
    expect((await pty.exited).exitCode, visible(pty.output())).toBe(0)
    expect(pty.output()).not.toMatch(/\u001B\[[\d;]*m/)
    expect(isProcessAlive(supervisorPid)).toBe(false)
  }, 120_000)
})
