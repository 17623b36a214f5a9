import {toChecksumAddress} from '../chain/address.js'

import {AttributionInputError} from './errors.js'
import {topKByScore} from './top-k.js'
import type {RecordMeta} from './types.js'

export type Aggregated = {
  records: Array<{index: number; recordHash: string; contributor: string; datanet?: string; score: number}>
  contributors: Array<{address: string; weight: number}>
  datanets: Array<{datanet: string; weight: number}>
}

/**
 * Per record → per contributor → per datanet. Records are sorted by score (proponents first) and cut
 * to top-k; weights are the positive parts of those scores, normalised to sum to one (equal shares
 * when none is positive). `receipt.ts` turns the same split into exact 1e18 fixed point.
 */
export function aggregateScores(scores: ArrayLike<number>, records: RecordMeta[], topK = 20): Aggregated {
  if (scores.length !== records.length) throw new AttributionInputError(`${scores.length} scores for ${records.length} records`)
  const N = records.length
  const k = Math.max(0, Math.min(topK, N))
  const order = topKByScore(scores, k)
  let pay = order.map((i) => Math.max(0, scores[i]))
  if (!pay.some((v) => v > 0)) pay = order.map(() => 1)
  const total = pay.reduce((a, b) => a + b, 0)
  const byC = new Map<string, number>()
  const byD = new Map<string, number>()
  order.forEach((i, j) => {
    const c = toChecksumAddress(records[i].contributor)
    byC.set(c, (byC.get(c) ?? 0) + pay[j] / total)
    const d = records[i].datanet ?? ''
    byD.set(d, (byD.get(d) ?? 0) + pay[j] / total)
  })
  const sorted = (m: Map<string, number>) => [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  return {
    records: order.map((i) => ({index: i, ...records[i], contributor: toChecksumAddress(records[i].contributor), score: scores[i]})),
    contributors: sorted(byC).map(([address, weight]) => ({address, weight})),
    datanets: sorted(byD).map(([datanet, weight]) => ({datanet, weight})),
  }
}
