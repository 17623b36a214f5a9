import {describe, expect, it} from 'vitest'

import {buildReceipt, receiptJson} from '../../src/attribution/receipt.js'
import {PackedRecords, packRecords, recordListOf} from '../../src/attribution/record-table.js'
import type {RecordMeta} from '../../src/attribution/types.js'

const hex = (i: number) => '0x' + i.toString(16).padStart(64, '0')
const addr = (i: number) => '0x' + ((i % 7) + 1).toString(16).padStart(40, '0')

describe('compact record lists', () => {
  const metas: RecordMeta[] = Array.from({length: 50}, (_, i) => ({recordHash: hex(i * 7919), contributor: addr(i), datanet: 'd'}))

  it('packs canonical hashes into bytes and reads every row back as given, contributors deduplicated', () => {
    const packed = packRecords(metas)!
    expect(packed.hashes).toHaveLength(50 * 32)
    expect(packed.contributors).toHaveLength(7)
    const list = recordListOf(metas, 'd')
    expect(list).toBeInstanceOf(PackedRecords)
    list.access((at) => metas.forEach((m, i) => expect(at.meta(i)).toEqual(m)))
  })

  it('keeps a list with a non-canonical hash as given (its spelling could not be rebuilt from bytes)', () => {
    const odd = [...metas.slice(0, 3), {recordHash: '0xABC', contributor: addr(1), datanet: 'd'}]
    expect(packRecords(odd)).toBeUndefined()
    const list = recordListOf(odd, 'd')
    expect(list).not.toBeInstanceOf(PackedRecords)
    expect(list.get(3)).toEqual(odd[3])
  })

  it('gives byte-identical receipts from an array and from the packed list, ties broken by record hash', () => {
    // Every score tied with another: the order between equals comes from the hashes alone.
    const scores = Float64Array.from(metas, (_, i) => Math.floor(i / 5))
    const params = {method: 'if' as const, model: 'm', checkpoint: 'c', inputHash: '0x1', outputHash: '0x2', scores, topK: 12}
    const a = buildReceipt({...params, records: metas})
    const b = buildReceipt({...params, records: recordListOf(metas, 'd')})
    expect(receiptJson(b)).toBe(receiptJson(a))
    const firstTied = metas
      .slice(45)
      .map((m) => m.recordHash)
      .sort()
    expect(a.records.slice(0, 5).map((r) => r.recordHash)).toEqual(firstTied)
  })
})
