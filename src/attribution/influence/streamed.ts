import {loadOrt} from '../../model/backend.js'
import {AttributionInputError, AttributionTooLargeError} from '../errors.js'
import {multiDot, queryState, validateWeights} from '../model.js'
import type {ModelStateRows, StateChunk, StateRowTensor} from '../model-state-cache.js'
import {choleskyInPlace, cholSolve} from '../linalg.js'
import {MATMUL_MODEL_B64} from '../row-matmul.js'
import {RunningTopK} from '../top-k.js'
import type {GradientBlocks, HeadAdapterWeights, Query} from '../types.js'
import {gradDotQueryTerms, gradDotRows} from './gradient-dot.js'
import {
  addWeightedGrams,
  assembleHeadHessian,
  defaultDamping,
  GRAM_BLOCK,
  type HeadHessian,
  type HessianOptions,
  hessianPairs,
  pairWeights,
} from './head-hessian.js'
import {finishHeadRows, headDirectionTermsOf, headGradientOf, type HeadDirectionTerms} from './head-influence.js'

/**
 * Queries over a model whose per-record state stays in its cache file (model-state-cache.ts): the
 * rows a method reads go through in fixed-size chunks (ModelStateRows.read), each chunk is scored
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

/** A query's running selection over a pass: the top-k, and every score when asked for. */
class Selection {
  private readonly top: RunningTopK
  private readonly scores?: Float64Array
  bytesRead = 0
  chunks = 0

  constructor(N: number, opts: StreamedQueryOptions) {
    this.top = new RunningTopK(opts.k ?? 20)
    if (opts.keepScores) this.scores = new Float64Array(N)
  }

  /** Offers one chunk's scores (rows start, start + 1, …). */
  add(start: number, out: Float64Array): void {
    // Most records fall below the k-th score: one comparison each, the heap only for the rest.
    let bar = this.top.threshold
    for (let b = 0; b < out.length; b++) {
      if (out[b] >= bar) {
        this.top.offer(start + b, out[b])
        bar = this.top.threshold
      }
    }
    this.scores?.set(out, start)
  }

  result(): StreamedScores {
    const {scores, bytesRead, chunks} = this
    return {top: this.top.result(), candidates: this.top.candidates(), ...(scores ? {scores} : {}), bytesRead, chunks}
  }
}

const chunkBytesOf = (chunk: StateChunk, tensors: readonly StateRowTensor[]) => tensors.reduce((s, t) => s + chunk[t]!.byteLength, 0)

/** One pass over `tensors`, scoring each chunk into a running top-k. */
function streamPass(
  m: StreamedModel,
  tensors: readonly StateRowTensor[],
  opts: StreamedQueryOptions,
  scoreChunk: (chunk: StateChunk, out: Float64Array) => void,
): StreamedScores {
  const {rows} = m
  const sel = new Selection(rows.N, opts)
  const out = new Float64Array(rows.rowsPerChunk(tensors, opts.chunkBytes))
  for (const chunk of rows.read(tensors, opts.chunkBytes)) {
    const o = chunk.n === out.length ? out : out.subarray(0, chunk.n)
    o.fill(0)
    scoreChunk(chunk, o)
    sel.add(chunk.start, o)
    sel.bytesRead += chunkBytesOf(chunk, tensors)
    sel.chunks++
  }
  return sel.result()
}

function checkWeights(m: StreamedModel): void {
  const {D, C, r} = m.rows
  validateWeights('final weights', m.weights, D, C, r)
}

/** The factor L of a dense Hessian made for this model's shape (a streamed query cannot run CG). */
function denseFactor(m: StreamedModel, Hf: HeadHessian): Float64Array {
  const {D, C} = m.rows
  if (Hf.C !== C || Hf.P !== D + 1) {
    throw new AttributionInputError(`the head Hessian is for C = ${Hf.C}, D + 1 = ${Hf.P}; the model state has C = ${C}, D + 1 = ${D + 1}`)
  }
  if (Hf.kind !== 'dense') {
    throw new AttributionTooLargeError(
      `a streamed influence query needs the dense head Hessian; C·(D+1) = ${C * (D + 1)} is over the dense limit`,
    )
  }
  return Hf.L
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
 * The dense damped head Hessian factored in one pass over the state file (H, A h and p of each
 * record): the same bits as factorHeadHessian's dense path on the loaded state, since the chunks
 * are whole blocks of its Gram accumulation. Once per model, as the in-memory factor; the CG path
 * has no streamed form (it would read the file once per iteration of every query).
 */
export function factorHeadHessianStreamed(
  m: StreamedModel,
  opts: Pick<HessianOptions, 'damping' | 'maxDenseDim'> & {chunkBytes?: number} = {},
): HeadHessian {
  checkWeights(m)
  const {N, D, C, r} = m.rows
  const P = D + 1
  const n = C * P
  const damping = opts.damping ?? defaultDamping(m)
  if (!(damping > 0)) throw new AttributionInputError(`Hessian damping must be positive, got ${damping}`)
  const maxDense = opts.maxDenseDim ?? 4096
  if (n > maxDense) throw new AttributionTooLargeError(`a dense head Hessian of ${n}×${n} exceeds maxDenseDim ${maxDense}`)
  const pairs = hessianPairs(C)
  const grams = pairs.map(() => new Float64Array(P * P))
  const {B} = m.weights
  for (const chunk of m.rows.read(['H', 'Ah', 'Pr'], opts.chunkBytes, GRAM_BLOCK)) {
    const Pr = chunk.Pr!
    addWeightedGrams({n: chunk.n, D, r, H: chunk.H!, Ah: chunk.Ah!, B}, (i, out) => pairWeights(pairs, C, N, Pr, i, out), grams)
  }
  const L = assembleHeadHessian(grams, pairs, C, P, damping)
  if (!choleskyInPlace(L, n)) throw new AttributionInputError('the damped head Hessian is not positive definite; raise the damping')
  return {kind: 'dense', C, P, damping, L}
}

/**
 * The exact head influence g_tᵀ H⁻¹ g_i of every record (headInfluenceScores), streamed. Needs the
 * dense factor: the conjugate-gradient solve would take a pass over the records per iteration.
 */
export function streamedHeadInfluence(m: StreamedModel, Hf: HeadHessian, query: Query, opts: StreamedQueryOptions = {}): StreamedScores {
  checkWeights(m)
  const {D, C, r} = m.rows
  const L = denseFactor(m, Hf)
  const q = queryState(m.weights, D, C, r, query.h, query.label)
  const s = headGradientOf(D, C, q)
  cholSolve(L, C * (D + 1), s)
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
    const rows = {Res: chunk.Res!, Ah: chunk.Ah!, Bu: chunk.Bu!, Bth: chunk.Bth!}
    gradDotRows(chunk.n, C, r, rows, q, hh, Bthp, Gres, withA, 1, out)
  })
}

type Ort = Awaited<ReturnType<typeof loadOrt>>
let matmulSession: Promise<Awaited<ReturnType<Ort['InferenceSession']['create']>>> | undefined

/** One ONNX Runtime MatMul session (Y = H·Q, symbolic sizes) for every streamed pass of the process. */
function chunkMatmul(ort: Ort) {
  matmulSession ??= ort.InferenceSession.create(Buffer.from(MATMUL_MODEL_B64, 'base64'), {
    executionProviders: ['cpu'],
    logSeverityLevel: 4,
  })
  return matmulSession
}

/**
 * streamedHeadInfluence for several queries in one pass over the file, each chunk's C − 1
 * directions per query going through one ONNX Runtime MatMul (vectorised and multi-threaded, as
 * headInfluenceScoresBatch does for a resident matrix), the adapter's share in a second product,
 * while the next chunk is read. Float32 products: the scores agree with streamedHeadInfluence to float32 rounding (as the resident
 * ONNX Runtime path agrees with the JS one), and the reads are shared by all the queries.
 */
export async function streamedHeadInfluenceBatch(
  m: StreamedModel,
  Hf: HeadHessian,
  queries: Query[],
  opts: StreamedQueryOptions = {},
): Promise<StreamedScores[]> {
  checkWeights(m)
  const {N, D, C, r} = m.rows
  const L = denseFactor(m, Hf)
  if (queries.length === 0) return []
  const terms = queries.map((query) => {
    const s = headGradientOf(D, C, queryState(m.weights, D, C, r, query.h, query.label))
    cholSolve(L, C * (D + 1), s)
    return headDirectionTermsOf(D, C, r, m.weights.B, s)
  })
  const per = C - 1
  const M = per * terms.length
  // Qᵀ (D×M) once for the whole pass: column k·(C−1) + c is query k's direction c.
  const qt = new Float32Array(D * M)
  terms.forEach((t, k) => {
    for (let c = 0; c < per; c++) for (let j = 0; j < D; j++) qt[j * M + k * per + c] = t.Q[c * D + j]
  })
  // The adapter's share (A h_i)·(Bᵀ Q_c) as a second product, (n×r)·(r×M), so that what is left
  // per row in JS is C − 1 multiply-adds per query.
  const bt = new Float32Array(r * M)
  terms.forEach((t, k) => {
    for (let c = 0; c < per; c++) for (let l = 0; l < r; l++) bt[l * M + k * per + c] = t.BtS[c * r + l]
  })
  const ort = await loadOrt()
  const session = await chunkMatmul(ort)
  const Q = new ort.Tensor('float32', qt, [D, M])
  const Bt = new ort.Tensor('float32', bt, [r, M])
  const tensors: StateRowTensor[] = ['H', 'Ah', 'Res']
  const sels = terms.map(() => new Selection(N, opts))
  const out = new Float64Array(m.rows.rowsPerChunk(tensors, opts.chunkBytes))
  // The products land in buffers kept for the whole pass (ONNX Runtime writes into given outputs).
  const dots = new Float32Array(out.length * M)
  const adapter = new Float32Array(r > 0 ? out.length * M : 0)
  let bytes = 0
  let chunks = 0
  // The next chunk's read runs in the thread pool while ONNX Runtime multiplies this one.
  for await (const chunk of m.rows.readAhead(tensors, opts.chunkBytes)) {
    const {n} = chunk
    await session.run({H: new ort.Tensor('float32', chunk.H!, [n, D]), Q}, {Y: new ort.Tensor('float32', dots.subarray(0, n * M), [n, M])})
    if (r > 0) {
      const Y = new ort.Tensor('float32', adapter.subarray(0, n * M), [n, M])
      await session.run({H: new ort.Tensor('float32', chunk.Ah!, [n, r]), Q: Bt}, {Y})
    }
    const o = n === out.length ? out : out.subarray(0, n)
    const Res = chunk.Res!
    terms.forEach((t, k) => {
      const {bias} = t
      for (let i = 0; i < n; i++) {
        const d = i * M + k * per
        const e = i * C + 1
        let s = 0
        for (let c = 0; c < per; c++) s += Res[e + c] * (dots[d + c] + (r > 0 ? adapter[d + c] : 0) + bias[c])
        o[i] = s
      }
      sels[k].add(chunk.start, o)
    })
    bytes += chunkBytesOf(chunk, tensors)
    chunks++
  }
  return sels.map((sel) => {
    sel.bytesRead = bytes
    sel.chunks = chunks
    return sel.result()
  })
}
