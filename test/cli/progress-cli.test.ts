import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'

const TICKETS = join(import.meta.dirname, '..', '..', 'templates', 'text-classifier', 'data', 'tickets.jsonl')
const TRAIN = ['train', '--datanet', 'tickets', '--allow-draft', '--epochs', '3', '--device', 'cpu', '--offline']

/** Progress when stderr is a pipe (as in CI logs or `2>&1 | cat`): plain lines, none with --quiet. */
describe('progress on stderr when not a terminal', () => {
  const tmp = tempDir('openledger-progress-')
  const env = {OPENLEDGER_STATE_DIR: join(tmp.dir, '.openledger')}
  const run = (args: string[]) => cli(tmp.dir, args, env)
  beforeAll(async () => {
    expect((await run(['datanet', 'create', 'tickets'])).exitCode).toBe(0)
  })
  afterAll(() => tmp.cleanup())

  it('datanet add of large files: a line per file (files, MB, records staged); small adds and --quiet print none', async () => {
    const small = await run(['datanet', 'add', 'tickets', TICKETS])
    expect(small.exitCode, small.stderr).toBe(0)
    expect(small.stderr).not.toMatch(/datanet add:/)

    mkdirSync(join(tmp.dir, 'big'))
    const row = (i: number, f: number) => JSON.stringify({text: `synthetic ticket ${f}-${i} ${'lorem ipsum '.repeat(8)}`, label: 'billing'})
    for (const f of [1, 2])
      writeFileSync(join(tmp.dir, 'big', `part-${f}.jsonl`), Array.from({length: 12_000}, (_, i) => row(i, f)).join('\n') + '\n')
    const big = await run(['datanet', 'add', 'tickets', join(tmp.dir, 'big')])
    expect(big.exitCode, big.stderr).toBe(0)
    expect(big.stderr).toMatch(/^datanet add: reading .*part-1\.jsonl · 0\/2 files · 0\.0\/\d+\.\d MB · 0 records staged$/m)
    expect(big.stderr).toMatch(/^datanet add: done · 2\/2 files · (\d+\.\d)\/\1 MB · 24,000 records staged$/m)

    writeFileSync(join(tmp.dir, 'big', 'part-3.jsonl'), Array.from({length: 12_000}, (_, i) => row(i, 3)).join('\n') + '\n')
    const quiet = await run(['datanet', 'add', 'tickets', join(tmp.dir, 'big'), '--quiet'])
    expect(quiet.exitCode, quiet.stderr).toBe(0)
    expect(quiet.stderr).toBe('')
    expect(quiet.stdout).toMatch(/Added 12000 records/)
  })

  it('train and attribute self-influence: plain lines with counts, also beside --json; none with --quiet', async () => {
    const r = await run(TRAIN)
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^train: device cpu$/m)
    expect(r.stderr).toMatch(/^train: encode · [\d,]+\/[\d,]+ records/m)
    expect(r.stderr).toMatch(/^train: [\d,]+ records · epoch 3\/3 · loss \d\.\d{4}/m)
    // Every few seconds, not a line per event.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('train: ')).length).toBeLessThan(20)

    const json = await run([...TRAIN, '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    expect(json.json.metrics).toBeDefined()
    expect(json.stderr).toMatch(/^train: [\d,]+ records · epoch 3\/3/m)

    const quiet = await run([...TRAIN, '--quiet', '--json'])
    expect(quiet.exitCode, quiet.stderr).toBe(0)
    expect(quiet.stderr).toBe('')
    expect(quiet.json.artifact).toMatch(/^\//)

    const audit = await run(['attribute', 'self-influence', '--model', quiet.json.artifact, '--top-k', '3'])
    expect(audit.exitCode, audit.stderr).toBe(0)
    expect(audit.stderr).toMatch(/^self-influence: loading the training state of [\d,]+ records$/m)
    expect(audit.stderr).toMatch(/^self-influence: scoring [\d,]+ records \(if\)$/m)
    const auditQuiet = await run(['attribute', 'self-influence', '--model', quiet.json.artifact, '--quiet', '--json'])
    expect(auditQuiet.exitCode, auditQuiet.stderr).toBe(0)
    expect(auditQuiet.stderr).toBe('')
  }, 240_000)
})
