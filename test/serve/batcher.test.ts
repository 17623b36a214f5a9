import {describe, expect, it, vi} from 'vitest'

import {MicroBatcher} from '../../src/serve/batcher.js'

/** A run function that records each batch and answers item × 10, optionally held until released. */
function recorder() {
  const batches: number[][] = []
  let release: (() => void) | undefined
  let hold = false
  const run = async (items: number[]) => {
    batches.push(items)
    if (hold) await new Promise<void>((r) => (release = r))
    return items.map((x) => x * 10)
  }
  return {batches, run, holdNext: () => (hold = true), release: () => ((hold = false), release?.())}
}

describe('MicroBatcher', () => {
  it('hands a full batch over at once, each caller getting its own result', async () => {
    const r = recorder()
    // A wait that would time the test out: the batch must go because it is full.
    const b = new MicroBatcher(r.run, {maxSize: 4, maxWaitMs: 600_000})
    expect(await Promise.all([1, 2, 3, 4].map((x) => b.add(x)))).toEqual([10, 20, 30, 40])
    expect(r.batches).toEqual([[1, 2, 3, 4]])
    expect(b.stats).toEqual({batches: 1, items: 4, largest: 4})
    await b.close()
  })

  it('sends a lone item after maxWaitMs', async () => {
    const r = recorder()
    const b = new MicroBatcher(r.run, {maxSize: 64, maxWaitMs: 1})
    expect(await b.add(7)).toBe(70)
    expect(r.batches).toEqual([[7]])
  })

  it('maxWaitMs 0 batches what arrives in the same event-loop turn', async () => {
    const r = recorder()
    const b = new MicroBatcher(r.run, {maxSize: 64, maxWaitMs: 0})
    const first = [1, 2, 3].map((x) => b.add(x))
    expect(await Promise.all(first)).toEqual([10, 20, 30])
    expect(await b.add(4)).toBe(40)
    expect(r.batches).toEqual([[1, 2, 3], [4]])
  })

  it('items arriving while a batch runs go together into the next one, in order', async () => {
    const r = recorder()
    const b = new MicroBatcher(r.run, {maxSize: 3, maxWaitMs: 600_000})
    r.holdNext()
    const first = [1, 2, 3].map((x) => b.add(x))
    await vi.waitFor(() => expect(r.batches.length).toBe(1))
    const later = [4, 5, 6, 7].map((x) => b.add(x))
    r.release()
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50, 60, 70])
    // 4, 5, 6 waited through the first batch and went at once (a full batch); 7 follows them.
    expect(r.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]])
  })

  it('a failing batch rejects its own items only', async () => {
    let calls = 0
    const b = new MicroBatcher(
      async (items: number[]) => {
        if (calls++ === 0) throw new Error('chain down')
        return items
      },
      {maxSize: 2, maxWaitMs: 600_000},
    )
    const bad = [b.add(1), b.add(2)]
    await expect(Promise.all(bad)).rejects.toThrow('chain down')
    expect(await Promise.all([b.add(3), b.add(4)])).toEqual([3, 4])
  })

  it('close runs what waits without waiting for the window, then refuses new items', async () => {
    const r = recorder()
    const b = new MicroBatcher(r.run, {maxSize: 64, maxWaitMs: 600_000})
    const waiting = [b.add(1), b.add(2)]
    await b.close()
    expect(await Promise.all(waiting)).toEqual([10, 20])
    await expect(b.add(3)).rejects.toMatchObject({code: 'E_CLOSED'})
  })

  it('a run giving the wrong number of results fails its batch', async () => {
    const b = new MicroBatcher(async (items: number[]) => items.slice(1), {maxSize: 2, maxWaitMs: 600_000})
    await expect(Promise.all([b.add(1), b.add(2)])).rejects.toThrow('a batch of 2 gave 1 results')
  })
})
