// A text's vector must not depend on what it is batched with: `serve` batches concurrent requests
// as they arrive, `infer --input` a whole file, and both must give one receipt per text.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadBuiltinEncoder} from '../../src/model/encoders/builtin.js'
import type {Encoder} from '../../src/model/encoders/types.js'

let enc: Encoder
beforeAll(async () => {
  enc = await loadBuiltinEncoder('cpu')
})
afterAll(async () => {
  await enc?.dispose()
})

const row = (out: Float32Array, i: number) => Array.from(out.subarray(i * enc.dim, (i + 1) * enc.dim))

describe('built-in encoder batching', () => {
  it('gives a text the same bits alone, among longer or shorter texts, and among copies', async () => {
    const t = 'the storm swept across the coastal towns'
    const alone = row(await enc.encode([t]), 0)
    const batches: Array<[string[], number]> = [
      [[t, 'investors worried about bond yields and the mortgage lender cut the loan payments again today'], 0],
      [['fog', t], 1],
      [['the storm swept across the northern valleys', t], 1],
      [Array(300).fill(t), 299],
    ]
    for (const [texts, i] of batches) expect(row(await enc.encode(texts), i)).toEqual(alone)
  })
})
