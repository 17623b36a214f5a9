import {AttributionTooLargeError} from '../errors.js'
import {multiDot, queryState, validateWeights} from '../model.js'
import type {ModelStateRows, StateChunk, StateRowTensor} from '../model-state-cache.js'
import {cholSolve} from '../linalg.js'
import {RunningTopK} from '../top-k.js'
import type {GradientBlocks, HeadAdapterWeights, Query} from '../types.js'
import {gradDotQueryTerms, gradDotRows} from './gradient-dot.js'
import {defaultDamping, type HeadHessian} from './head-hessian.js'
import {finishHeadRows, headDirectionTermsOf, headGradientOf, type HeadDirectionTerms} from './head-influence.js'

/**
 * Queries over a model whose per-record state stays in its cache file (model-state-cache.ts): the
 * rows a method reads go through in fixed-size chunks (ModelStateRows.chunks), each chunk is scored
 * with the same loops the in-memory path runs (so the scores are the same bits) and offered to a
 * running top-k. Memory is one chunk plus k, not N·D: a model of a million records answers without
 * its 400 MB matrix being resident.
 */
export type StreamedModel = {
  rows: ModelStateRows
  /** The final weights the state was prepared under (A r×D, B D×r, W C×(D+1)). */
  weights: HeadAdapterWeights
  /** The training objective's L2 strength: the representer's λ (as AttributionInput.l2). */
  l2?: number
}

export type StreamedQueryOptions = {
  /** Records to return, best first. Default 20. */
  k?: number
  /** Bytes read per chunk (all the tensors the method reads together). Default 8 MiB. */
  chunkBytes?: number
  /** Also return every record's score (an N-sized array): for checks, not for serving. */
  keepScores?: boolean
}

export type ScoredRow = {index: number; score: number}

export type StreamedScores = {
  /** The k highest scores, highest first, equal scores in index order (as topKByScore). */
  top: ScoredRow[]
  /** `top` plus every record tied with its last score: enough for an order that breaks ties otherwise (receipts, by hash). */
  candidates: ScoredRow[]
  scores?: Float64Array
  /** Bytes read from the file by the pass. */
  bytesRead: number
  chunks: number
}

/** One pass over `tensors`, scoring each chunk into a running top-k. */
function streamPass(
  m: StreamedModel,
  tensors: readonly StateRowTensor[],
  opts: StreamedQueryOptions,
  scoreChunk: (chunk: StateChunk, out: Float64Array) => void,
): StreamedScores {
  const {rows} = m
  const top = new RunningTopK(opts.k ?? 20)
  const scores = opts.keepScores ? new Float64Array(rows.N) : undefined
  const out = new Float64Array(rows.rowsPerChunk(tensors, opts.chunkBytes))
  let bytesRead = 0
  let chunks = 0
  rows.chunks(
    tensors,
    (chunk) => {
      const o = chunk.n === out.length ? out : out.subarray(0, chunk.n)
      o.fill(0)
      scoreChunk(chunk, o)
      // Most records fall below the k-th score: one comparison each, the heap only for the rest.
      let bar = top.threshold
      for (let b = 0; b < chunk.n; b++) {
        if (o[b] >= bar) {
          top.offer(chunk.start + b, o[b])
          bar = top.threshold
        }
      }
      scores?.set(o, chunk.start)
      for (const t of tensors) bytesRead += chunk[t]!.byteLength
      chunks++
    },
    opts.chunkBytes,
  )
  return {top: top.result(), candidates: top.candidates(), ...(scores ? {scores} : {}), bytesRead, chunks}
}

function checkWeights(m: StreamedModel): void {
  const {D, C, r} = m.rows
  validateWeights('final weights', m.weights, D, C, r)
}

/** res_iᵀ S x̂_i for every record, scaled by `scale`: the pass the IF and the representer share. */
function streamHeadDirection(m: StreamedModel, t: HeadDirectionTerms, scale: number, opts: StreamedQueryOptions): StreamedScores {
  const {D, C, r} = m.rows
  const rowsPerChunk = m.rows.rowsPerChunk(['H', 'Ah', 'Res'], opts.chunkBytes)
  const dots = new Float64Array(rowsPerChunk * t.m)
  return streamPass(m, ['H', 'Ah', 'Res'], opts, (chunk, out) => {
    multiDot(chunk.H!, chunk.n, D, t.Q, t.m, dots)
    finishHeadRows(t, chunk.n, C, r, chunk.Res!, chunk.Ah!, dots, t.m, 0, out)
    if (scale !== 1) for (let b = 0; b < chunk.n; b++) out[b] *= scale
  })
}

/**
 * The exact head influence g_tᵀ H⁻¹ g_i of every record (headInfluenceScores), streamed. Needs the
 * dense factor: the conjugate-gradient solve would take a pass over the records per iteration.
 */
export function streamedHeadInfluence(m: StreamedModel, Hf: HeadHessian, query: Query, opts: StreamedQueryOptions = {}): StreamedScores {
  checkWeights(m)
  const {D, C, r} = m.rows
  if (Hf.kind !== 'dense') {
    throw new AttributionTooLargeError(
      `a streamed influence query needs the dense head Hessian; C·(D+1) = ${C * (D + 1)} is over the dense limit`,
    )
  }
  const q = queryState(m.weights, D, C, r, query.h, query.label)
  const s = headGradientOf(D, C, q)
  cholSolve(Hf.L, Hf.C * Hf.P, s)
  return streamHeadDirection(m, headDirectionTermsOf(D, C, r, m.weights.B, s), 1, opts)
}

/** The representer decomposition of the explained class's logit (representerScores), streamed. */
export function streamedRepresenter(
  m: StreamedModel,
  query: Query,
  lambda = defaultDamping(m),
  opts: StreamedQueryOptions = {},
): StreamedScores {
  checkWeights(m)
  const {N, D, C, r} = m.rows
  const q = queryState(m.weights, D, C, r, query.h, query.label)
  const P = D + 1
  const S = new Float64Array(C * P)
  for (let j = 0; j < D; j++) S[q.label * P + j] = q.hp[j]
  S[q.label * P + D] = 1
  return streamHeadDirection(m, headDirectionTermsOf(D, C, r, m.weights.B, S), -1 / (lambda * N), opts)
}

/** ⟨g_i, g_t⟩ at the final weights (gradDotScores), streamed. */
export function streamedGradDot(
  m: StreamedModel,
  query: Query,
  opts: StreamedQueryOptions & {blocks?: GradientBlocks} = {},
): StreamedScores {
  checkWeights(m)
  const {D, C, r, G} = m.rows
  const q = queryState(m.weights, D, C, r, query.h, query.label)
  const {Bthp, Gres} = gradDotQueryTerms(D, C, r, m.weights.B, G, q)
  const withA = (opts.blocks ?? 'all') === 'all' && r > 0
  const tensors: StateRowTensor[] = ['H', 'Res', 'Ah', 'Bu', 'Bth']
  const hh = new Float64Array(m.rows.rowsPerChunk(tensors, opts.chunkBytes))
  const h = Float64Array.from(q.h)
  return streamPass(m, tensors, opts, (chunk, out) => {
    multiDot(chunk.H!, chunk.n, D, h, 1, hh)
    gradDotRows(chunk.n, C, r, chunk as Required<StateChunk>, q, hh, Bthp, Gres, withA, 1, out)
  })
}
