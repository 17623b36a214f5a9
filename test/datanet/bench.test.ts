import {describe, expect, it} from 'vitest'

import {runDatanetBench} from '../../bench/datanet.js'

describe('bench/datanet.ts', () => {
  it('computes the same root as StandardMerkleTree.of (small run)', () => {
    const lines: string[] = []
    const r = runDatanetBench(2000, (l) => lines.push(l))
    expect(r.records).toBe(2000)
    expect(r.root).toMatch(/^0x[0-9a-f]{64}$/)
    expect(lines[0]).toContain('identical to StandardMerkleTree.of')
  })
})
