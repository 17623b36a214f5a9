import {Writable} from 'node:stream'

import {describe, expect, it, vi} from 'vitest'

import {formatEta, plainProgress, progressLine} from '../../src/cli/progress.js'

function sink() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  return {stream, lines}
}

describe('plain progress lines', () => {
  it('at most one line per interval, the first and the finishing update always', () => {
    const {stream, lines} = sink()
    let t = 0
    const p = plainProgress({prefix: 'train', stream, intervalMs: 3000, now: () => t})
    for (let done = 1; done <= 100; done++) {
      t = done * 100 // 100 updates over 10 s
      p.update({what: 'encode', done, total: 100, unit: 'records', etaSeconds: (100 - done) / 10})
    }
    expect(lines).toEqual([
      'train: encode · 1/100 records · ETA 10s',
      'train: encode · 31/100 records · ETA 7s',
      'train: encode · 61/100 records · ETA 4s',
      'train: encode · 91/100 records · ETA 1s',
      'train: encode · 100/100 records',
    ])
  })

  it('an update held back by the interval is shown before the next one-off line', () => {
    const {stream, lines} = sink()
    let t = 0
    const p = plainProgress({prefix: 'train', stream, intervalMs: 3000, now: () => t})
    p.update({what: '100 records', done: 1, total: 10, unit: 'epoch', unitFirst: true})
    t = 500
    p.update({what: '100 records', done: 6, total: 10, unit: 'epoch', unitFirst: true, extra: 'stopped early'})
    p.say('writing model')
    p.say('done')
    expect(lines).toEqual([
      'train: 100 records · epoch 1/10',
      'train: 100 records · epoch 6/10 · stopped early',
      'train: writing model',
      'train: done',
    ])
  })

  it('formats counts, units first or last, extras and ETAs', () => {
    expect(
      progressLine('train', {
        what: '24,000 records',
        done: 3,
        total: 20,
        unit: 'epoch',
        unitFirst: true,
        etaSeconds: 65,
        extra: 'loss 0.4312',
      }),
    ).toBe('train: 24,000 records · epoch 3/20 · loss 0.4312 · ETA 1m05s')
    expect(formatEta(null)).toBe('')
    expect(formatEta(7322)).toBe('2h02m')
  })

  it('a phase says itself, then "still" lines on a timer until stopped', () => {
    vi.useFakeTimers()
    try {
      const {stream, lines} = sink()
      const p = plainProgress({prefix: 'self-influence', stream, intervalMs: 3000, now: () => Date.now()})
      const stop = p.phase('scoring 320 records (if)')
      vi.advanceTimersByTime(6500)
      expect(lines).toEqual([
        'self-influence: scoring 320 records (if)',
        'self-influence: scoring 320 records (if) · 3 s',
        'self-influence: scoring 320 records (if) · 6 s',
      ])
      stop()
      vi.advanceTimersByTime(30_000)
      expect(lines).toHaveLength(3)
    } finally {
      vi.useRealTimers()
    }
  })
})
