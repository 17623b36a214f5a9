import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {getAddress} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Chain, run, startChain, trainArtifact} from '../publish/helpers.js'
import DatanetAdd from '../../src/commands/datanet/add.js'
import DatanetPublish from '../../src/commands/datanet/publish.js'
import InferCommand from '../../src/commands/infer.js'
import Rewards from '../../src/commands/rewards/index.js'
import RewardsClaim from '../../src/commands/rewards/claim.js'
import {resolveSigner} from '../../src/chain/context.js'
import {publishModel} from '../../src/publish/publish.js'
import {attributionTable, cutText, recordWeights, splitLines} from '../../src/ui/infer-output.js'

let c: Chain
let folder: string
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  c = await startChain()
  process.env.OPENLEDGER_STATE_DIR = c.stateDir
  folder = await trainArtifact(join(c.dir, 'models', 'human'), c.source, 11)
  await publishModel(await resolveSigner({}), {folder, name: 'human-router'})
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await c?.cleanup()
})

const texts = () => new Map(c.source.records.map((r) => [r.recordHash.toLowerCase(), String(r.fields.text)]))

describe('human output that shows the point (stdout piped: 100 columns)', () => {
  it('infer --attribute --top-k 10: a table of rank, score, weight, checksummed contributor and the record text', async () => {
    const r = await run(c.config, InferCommand, ['--model', folder, '--text', 'my card was charged twice', '--attribute', '--top-k', '10'])
    expect(r.exitCode, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^\w+ \(\d+\.\d%\)$/)
    expect(lines[1]).toMatch(/^ {2} #\s+score\s+weight\s+contributor\s+record$/)
    const rows = lines.slice(2)
    expect(rows).toHaveLength(10)
    const known = texts()
    let weight = 0
    rows.forEach((row, i) => {
      const m = /^ {2}\s*(\d+)\s+(-?\d\.\d\de[+-]\d+)\s+(\d+\.\d)%\s+(0x[0-9a-fA-F]{40})\s+(.+)$/.exec(row)
      expect(m, row).not.toBeNull()
      expect(Number(m![1])).toBe(i + 1)
      expect(m![4]).toBe(getAddress(m![4]))
      weight += Number(m![3])
      // The record's own text (cut with … to fit), not its hash.
      const text = m![5]
      expect(
        [...known.values()].some((t) => t === text || (text.endsWith('…') && t.startsWith(text.slice(0, -1)))),
        text,
      ).toBe(true)
      expect(row.length).toBeLessThanOrEqual(102)
    })
    expect(weight).toBeGreaterThan(99.4)
    expect(weight).toBeLessThan(100.6)
  })

  it('infer --input: each row with its label, probability and text', async () => {
    const file = join(c.dir, 'in.jsonl')
    writeFileSync(file, '"the parcel is lost in transit"\n{"text":"my password does not work"}\n')
    const r = await run(c.config, InferCommand, ['--model', folder, '--input', file])
    expect(r.exitCode, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^#\s+label\s+prob\s+text$/)
    expect(lines[1]).toMatch(/^1\s+\w+\s+\d+\.\d%\s+the parcel is lost in transit$/)
    expect(lines[2]).toMatch(/^2\s+\w+\s+\d+\.\d%\s+my password does not work$/)
  })

  it('infer --pay: the split in OPEN; rewards: claimable now and claimed so far, before and after a claim', async () => {
    const r = await run(c.config, InferCommand, [
      '--model',
      'human-router',
      '--text',
      'the invoice is too high',
      '--pay',
      '--fee',
      '0.01',
      '--method',
      'representer',
    ])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Paid 0\.01 OPEN: receipt \d+, tx 0x[0-9a-f]{64}$/m)
    expect(r.stdout).toMatch(/^Split of 0\.01 OPEN:$/m)
    for (const part of ['platform', 'model owner', 'stakers', 'contributors'])
      expect(r.stdout).toMatch(new RegExp(`^  ${part}\\s+\\d+\\.\\d\\d%  [\\d.]+ OPEN$`, 'm'))
    const credited = [...r.stdout.matchAll(/^ {4}(0x[0-9a-fA-F]{40})\s+(\d+\.\d\d)%\s+([\d.]+) OPEN$/gm)]
    expect(credited.length).toBeGreaterThan(0)
    const top = credited[0][1]
    expect(top).toBe(getAddress(top))

    const before = await run(c.config, Rewards, ['--address', top])
    expect(before.exitCode, before.stderr).toBe(0)
    expect(before.stdout).toMatch(/^ {2}claimable now \(`openledger rewards claim` pays it out\):$/m)
    const claimable = /^ {4}as contributor +([\d.]+) OPEN$/m.exec(before.stdout)
    expect(claimable, before.stdout).not.toBeNull()
    expect(Number(claimable![1])).toBeGreaterThan(0)
    expect(before.stdout).toMatch(/^ {2}claimed so far: {3}0 OPEN \(fees 0 OPEN, staking 0 OPEN\)$/m)

    const idx = c.p.accounts.findIndex((a) => a.address === top)
    expect((await run(c.config, RewardsClaim, ['--account', String(idx)])).exitCode).toBe(0)
    const after = await run(c.config, Rewards, ['--address', top])
    expect(after.stdout).toMatch(/^ {4}total +0 OPEN$/m)
    const amount = claimable![1].replace('.', '\\.')
    expect(after.stdout).toMatch(new RegExp(`^ {2}claimed so far: {3}${amount} OPEN \\(fees ${amount} OPEN, staking 0 OPEN\\)$`, 'm'))
  })

  it('datanet publish: the fee in OPEN', async () => {
    const file = join(c.dir, 'more.jsonl')
    writeFileSync(file, JSON.stringify({text: 'my refund never arrived (new)', label: 'billing'}) + '\n')
    expect((await run(c.config, DatanetAdd, ['tickets', file])).exitCode).toBe(0)
    const r = await run(c.config, DatanetPublish, ['tickets'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Published tickets version 2: \d+ records \(1 new\), fee [\d.]+ OPEN\.$/m)
    expect(r.stdout).not.toMatch(/wei/)
  })
})

describe('infer output layout', () => {
  it('cuts text to the width with …, folds whitespace, counts characters not bytes', () => {
    expect(cutText('a  b\nc', 10)).toBe('a b c')
    expect(cutText('héllo wörld', 6)).toBe('héllo…')
  })

  it('weights follow the receipt: positive scores, equal shares when none is', () => {
    const rec = (score: number) => ({recordHash: `0x${'1'.repeat(64)}`, contributor: '0x0000000000000000000000000000000000000001', score})
    expect(recordWeights([rec(3), rec(1), rec(-2)])).toEqual([0.75, 0.25, 0])
    expect(recordWeights([rec(-1), rec(-3)])).toEqual([0.5, 0.5])
    const table = attributionTable([rec(3), rec(1)], new Map(), 80)
    expect(table[1]).toMatch(/75\.0%/)
    for (const line of table) expect(line.length).toBeLessThanOrEqual(80)
  })

  it('the split: four parts and each contributor, percentages of the fee and of the contributors part', () => {
    const lines = splitLines(
      1000n,
      {platform: '100', model: '500', stakers: '200', contributors: '200'},
      [
        {address: '0xA', amount: '50'},
        {address: '0xB', amount: '150'},
      ],
      (w) => `${w} wei`,
    )
    expect(lines).toEqual([
      'Split of 1000 wei:',
      '  platform       10.00%  100 wei',
      '  model owner    50.00%  500 wei',
      '  stakers        20.00%  200 wei',
      '  contributors   20.00%  200 wei',
      '    0xB   75.00%  150 wei',
      '    0xA   25.00%  50 wei',
    ])
  })
})
