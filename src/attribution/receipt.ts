import {getAddress, keccak256, stringToBytes} from 'viem'

import {AttributionInputError} from './errors.js'
import {type RecordList, asRecordList} from './record-table.js'
import {topK} from './top-k.js'
import type {AttributionMethod, RecordMeta} from './types.js'

/** 1e18: weights are fixed-point fractions of this, as the settlement contract expects (the one 1e18 constant). */
export const WEIGHT_ONE = 10n ** 18n

export type ReceiptRecord = {recordHash: string; contributor: string; datanet?: string; score: number}
export type ReceiptWeight = {address: string; weight: string}
export type ReceiptDatanet = {datanet: string; weight: string}

export type Receipt = {
  method: AttributionMethod
  /** Artifact CID or hash of the model. */
  model: string
  /** Which checkpoint answered (e.g. "final" or an epoch). */
  checkpoint: string
  inputHash: string
  outputHash: string
  /** Top records, proponents first (score descending). */
  records: ReceiptRecord[]
  /** Contributors' shares of the data fee, 1e18 fixed point, summing exactly to 1e18. */
  contributors: ReceiptWeight[]
  datanets: ReceiptDatanet[]
}

export type ReceiptParams = {
  method: AttributionMethod
  model: string
  checkpoint: string
  inputHash: string
  outputHash: string
  /** The records, as an array or a compact list (record-table.ts); only the top k are read. */
  records: RecordMeta[] | RecordList
  /** How many records the receipt lists and pays. Default 20. */
  topK?: number
} & (
  | {
      /** One score per record, aligned with `records`; positive = proponent. */
      scores: ArrayLike<number>
      candidates?: never
    }
  | {
      /**
       * Only the records that can make the top k, by position in `records`: the k best scores and
       * every record tied with the k-th (RunningTopK.candidates), from a pass that never held all N
       * scores. The receipt is then the one all N scores give.
       */
      candidates: ReadonlyArray<{index: number; score: number}>
      scores?: never
    }
)

/**
 * Exact split of 1e18 in proportion to non-negative `parts` (largest remainder, Hamilton): each
 * share is floor(part·1e18/Σ), then the leftover units go to the largest remainders (ties: earlier
 * entry first). Floats are turned into exact integers first, so the result depends only on the bits.
 */
export function fixedPointWeights(parts: number[]): bigint[] {
  if (parts.length === 0) return []
  for (const p of parts)
    if (!(p >= 0) || !Number.isFinite(p)) throw new AttributionInputError(`weight part ${p} is not a finite non-negative number`)
  const max = Math.max(...parts)
  if (max === 0) throw new AttributionInputError('cannot split a fee over weights that are all zero')
  // Exact integers: each part in units of 2^-52 of the largest.
  const ints = parts.map((p) => BigInt(Math.round((p / max) * 2 ** 52)))
  const total = ints.reduce((a, b) => a + b, 0n)
  const shares = ints.map((v) => (v * WEIGHT_ONE) / total)
  const rems = ints.map((v, i) => ({i, r: (v * WEIGHT_ONE) % total}))
  let left = WEIGHT_ONE - shares.reduce((a, b) => a + b, 0n)
  rems.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1))
  for (let k = 0; left > 0n; k++, left--) shares[rems[k % rems.length].i] += 1n
  return shares
}

function round12(x: number): number {
  return Number(x.toPrecision(12))
}

/**
 * The per-inference receipt. Records are sorted by score (proponents first) and cut to top-k.
 * Payment weights: the positive part of each listed record's score, summed per contributor and per
 * datanet, then split exactly over 1e18. With no positive score among the top-k, the listed records
 * share equally (the fee still goes to data, never nowhere).
 */
export function buildReceipt(p: ReceiptParams): Receipt {
  const list = asRecordList(p.records)
  const N = list.length
  if (p.scores && p.scores.length !== N) throw new AttributionInputError(`${p.scores.length} scores for ${N} records`)
  if (N === 0) throw new AttributionInputError('no records to attribute to')
  const topKCount = Math.max(1, Math.min(p.topK ?? 20, N))
  // The items ranked: every record, or the candidates a streamed pass kept (their scores, and
  // their positions among the records).
  const cand = p.scores ? undefined : p.candidates
  if (cand?.length === 0) throw new AttributionInputError('no candidate records to attribute to')
  for (const c of cand ?? [])
    if (!(c.index >= 0 && c.index < N)) throw new AttributionInputError(`candidate ${c.index} is not one of ${N} records`)
  const scores: ArrayLike<number> = cand ? Float64Array.from(cand, (c) => c.score) : p.scores!
  const position: ArrayLike<number> | undefined = cand ? Int32Array.from(cand, (c) => c.index) : undefined
  const listed = list.access((at) => {
    // Selection, not a sort of all N: proponents first, ties by record hash (then position, so the
    // order is total and the receipt the same whichever path computed the scores). Hashes are read
    // only to break ties.
    const top = topK(scores.length, topKCount, (a, b) => {
      const d = scores[b] - scores[a]
      if (d) return d
      const [ia, ib] = position ? [position[a], position[b]] : [a, b]
      const ha = at.hash(ia)
      const hb = at.hash(ib)
      return ha < hb ? -1 : ha > hb ? 1 : ia - ib
    })
    return top.map((k) => ({score: scores[k], meta: at.meta(position ? position[k] : k)}))
  })
  const records: ReceiptRecord[] = listed.map(({score, meta}) => ({
    recordHash: meta.recordHash,
    // Checksummed, as every address the CLI prints; one spelling per address, so grouping holds.
    contributor: getAddress(meta.contributor),
    ...(meta.datanet !== undefined ? {datanet: meta.datanet} : {}),
    score: round12(score),
  }))
  let pay = listed.map(({score}) => Math.max(0, score))
  if (!pay.some((v) => v > 0)) pay = listed.map(() => 1)
  const byContributor = new Map<string, number>()
  const byDatanet = new Map<string, number>()
  records.forEach((r, k) => {
    byContributor.set(r.contributor, (byContributor.get(r.contributor) ?? 0) + pay[k])
    const d = r.datanet ?? ''
    byDatanet.set(d, (byDatanet.get(d) ?? 0) + pay[k])
  })
  const split = <K extends string>(m: Map<string, number>, key: K): Array<Record<K, string> & {weight: string}> => {
    const entries = [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    const w = fixedPointWeights(entries.map(([, v]) => v))
    return entries.map(([k], i) => ({[key]: k, weight: w[i].toString()}) as Record<K, string> & {weight: string})
  }
  return {
    method: p.method,
    model: p.model,
    checkpoint: p.checkpoint,
    inputHash: p.inputHash,
    outputHash: p.outputHash,
    records,
    contributors: split(byContributor, 'address'),
    datanets: split(byDatanet, 'datanet'),
  }
}

/** Deterministic JSON: object keys sorted at every level, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return JSON.stringify(value.toString())
    if (typeof value === 'number' && !Number.isFinite(value)) throw new AttributionInputError(`cannot serialise ${value}`)
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
}

export function receiptJson(r: Receipt): string {
  return canonicalJson(r)
}

/** keccak256 of the receipt's canonical JSON: the `responseHash` a settlement refers to. */
export function receiptHash(r: Receipt): `0x${string}` {
  return keccak256(stringToBytes(receiptJson(r)))
}

/** keccak256 of a UTF-8 text (input and output hashes). */
export function textHash(text: string): `0x${string}` {
  return keccak256(stringToBytes(text))
}

/** Arguments of `settle(modelId, responseHash, contributors, weights)`; the weights sum to 1e18. */
export function settlementArgs(r: Receipt): {responseHash: `0x${string}`; contributors: `0x${string}`[]; weights: bigint[]} {
  const weights = r.contributors.map((c) => BigInt(c.weight))
  const sum = weights.reduce((a, b) => a + b, 0n)
  if (sum !== WEIGHT_ONE) throw new AttributionInputError(`receipt weights sum to ${sum}, not 1e18`)
  for (const c of r.contributors) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(c.address)) throw new AttributionInputError(`contributor ${c.address} is not a 20-byte hex address`)
  }
  return {responseHash: receiptHash(r), contributors: r.contributors.map((c) => c.address as `0x${string}`), weights}
}
