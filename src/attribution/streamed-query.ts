import {createHash} from 'node:crypto'
import {join} from 'node:path'

import {loadOrt} from '../model/backend.js'
import type {Model} from '../model/infer.js'
import {cacheDir} from '../store/paths.js'
import {AttributionInputError, NotStreamableError} from './errors.js'
import {
  type HeadHessian,
  type ScoredRow,
  type StreamedModel,
  defaultDamping,
  factorHeadHessianStreamed,
  finishHeadRows,
  headDirectionTermsOf,
  headGradientOf,
  loadHeadHessian,
  saveHeadHessian,
  streamedGradDot,
  streamedRepresenter,
} from './influence.js'
import {cholSolve} from './linalg.js'
import {queryState} from './model.js'
import type {StateRowTensor} from './model-state-cache.js'
import type {RecordList} from './record-table.js'
import {MATMUL_MODEL_B64} from './row-matmul.js'
import {RunningTopK} from './top-k.js'
import type {Query} from './types.js'

/**
 * Per-record state above this many bytes is read from its cache file in chunks for each query
 * rather than held. Below it the state is loaded as it always was (small beside the process);
 * above it, holding it costs its size (`npm run bench -- influence` at a million records: the
 * querying process peaks at 753 MiB holding the state, 174 MiB streaming it), at about the same
 * time per query.
 */
export const DEFAULT_STREAM_STATE_BYTES = 256 * 2 ** 20

/** The threshold in effect: OPENLEDGER_STREAM_STATE_BYTES when set (tests force 0), else the default. */
export function streamStateBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.OPENLEDGER_STREAM_STATE_BYTES
  if (v === undefined || v === '') return DEFAULT_STREAM_STATE_BYTES
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new AttributionInputError(`OPENLEDGER_STREAM_STATE_BYTES=${v} is not a whole number of bytes`)
  return n
}

/** Bytes of a loaded model's per-record state: H (D), A h, B u and Bᵀh (3r), probabilities and residuals (2C), in float32. */
export function perRecordStateBytes(N: number, D: number, C: number, r: number): number {
  return 4 * N * (D + 3 * r + 2 * C)
}

/** A trained model whose per-record state stays in its cache file, open for passes (ModelStateRows). */
export type StreamedAttribution = {
  model: Model
  /** Identifies the artifact in receipts, as ModelAttribution.modelId. */
  modelId: string
  /** The training records, aligned with the state's rows. */
  records: RecordList
  state: StreamedModel
  /** The state file's key: what the cached Hessian factor is keyed by. */
  stateKey: string
  hessian?: HeadHessian
  /** Bytes read per chunk (default: the state reader's 8 MiB). */
  chunkBytes?: number
}

export type StreamedMethod = 'if' | 'tracin' | 'graddot' | 'representer'

/** Above C·(D+1) = 4096 the head Hessian is solved by conjugate gradients (as factorHeadHessian decides). */
const MAX_DENSE_DIM = 4096

/**
 * The dense head Hessian factor for a streamed model: from its cache file, else factored in one pass
 * over the state file and cached. Keyed by the state's key (which covers the artifact's weights,
 * records and labels) and the damping, so no pass over H is needed to look it up.
 */
export function streamedHeadHessian(sa: StreamedAttribution): HeadHessian {
  if (sa.hessian) return sa.hessian
  const {rows, l2} = sa.state
  const n = rows.C * (rows.D + 1)
  if (n > MAX_DENSE_DIM) {
    throw new NotStreamableError(
      `method if cannot stream this model's state: its head Hessian (C·(D+1) = ${n}, over ${MAX_DENSE_DIM}) is solved by conjugate gradients, a pass over all ${rows.N} records per iteration`,
      'Use `--method graddot` or `--method representer`, which answer in one pass over the state file.',
    )
  }
  const damping = defaultDamping({l2})
  const key = createHash('sha256').update(`olhf-state:${sa.stateKey}:${damping}`).digest('hex')
  const path = join(cacheDir(), 'attribution', `${sa.modelId.replace(/[^a-zA-Z0-9]/g, '_')}.streamed.hessian.safetensors`)
  let Hf = loadHeadHessian(path, key)
  if (!Hf) {
    Hf = factorHeadHessianStreamed(sa.state, {damping, maxDenseDim: MAX_DENSE_DIM, chunkBytes: sa.chunkBytes})
    saveHeadHessian(path, Hf, key)
  }
  sa.hessian = Hf
  return Hf
}

/**
 * For each query, the records that can make its receipt's top k (RunningTopK.candidates: the k
 * best and every record tied with the k-th), from passes over the state file: one pass for all the
 * queries with the influence function, one per query otherwise. The scores are the bits the loaded
 * model gives (see influenceCandidates), so the receipts are too.
 */
export async function streamedCandidates(
  sa: StreamedAttribution,
  queries: Query[],
  method: StreamedMethod,
  k: number,
): Promise<ScoredRow[][]> {
  const opts = {k, chunkBytes: sa.chunkBytes}
  switch (method) {
    case 'if':
      return influenceCandidates(sa, queries, k)
    case 'graddot':
      return queries.map((q) => streamedGradDot(sa.state, q, opts).candidates)
    case 'representer':
      return queries.map((q) => streamedRepresenter(sa.state, q, undefined, opts).candidates)
    case 'tracin':
      throw new NotStreamableError(
        `method tracin cannot stream this model's state (${sa.state.rows.N} records): it recomputes every record's gradient under each checkpoint`,
        'Use `--method if`, which answers in one pass over the state file.',
      )
  }
}

type Ort = Awaited<ReturnType<typeof loadOrt>>
let session: Promise<Awaited<ReturnType<Ort['InferenceSession']['create']>>> | undefined

/**
 * The influence function over the state file, with the arithmetic of headInfluenceScoresBatch on a
 * loaded model: each chunk's rows times every query's directions in one ONNX Runtime MatMul (float32,
 * the same model RowMatmul runs), then the adapter, bias and residual terms by finishHeadRows. A
 * row's products do not depend on how many rows share the MatMul, so the scores, and the receipts,
 * are the loaded model's (test/attribution/streamed-query.test.ts). A lone query is run twice, as
 * the loaded path does (attributeRows), so its one-direction MatMul takes the batch's kernel path.
 */
async function influenceCandidates(sa: StreamedAttribution, queries: Query[], k: number): Promise<ScoredRow[][]> {
  if (queries.length === 0) return []
  const {rows, weights} = sa.state
  const {D, C, r} = rows
  const Hf = streamedHeadHessian(sa)
  if (Hf.kind !== 'dense') throw new AttributionInputError('a streamed influence query needs the dense head Hessian')
  const batch = queries.length === 1 ? [queries[0], queries[0]] : queries
  const terms = batch.map((q) => {
    const s = headGradientOf(D, C, queryState(weights, D, C, r, q.h, q.label))
    cholSolve(Hf.L, C * (D + 1), s)
    return headDirectionTermsOf(D, C, r, weights.B, s)
  })
  const m = C - 1
  const M = m * terms.length
  // Dᵀ×M: column k·m + c is query k's direction c, rounded to float32 as RowMatmul.run does.
  const qt = new Float32Array(D * M)
  terms.forEach((t, q) => {
    for (let c = 0; c < m; c++) for (let j = 0; j < D; j++) qt[j * M + q * m + c] = t.Q[c * D + j]
  })
  const ort = await loadOrt()
  session ??= ort.InferenceSession.create(Buffer.from(MATMUL_MODEL_B64, 'base64'), {executionProviders: ['cpu'], logSeverityLevel: 4})
  const run = await session
  const Q = new ort.Tensor('float32', qt, [D, M])
  const tops = queries.map(() => new RunningTopK(k))
  const tensors: StateRowTensor[] = ['H', 'Ah', 'Res']
  const out = new Float64Array(rows.rowsPerChunk(tensors, sa.chunkBytes))
  // The next chunk is read in the thread pool while ONNX Runtime multiplies this one.
  for await (const chunk of rows.readAhead(tensors, sa.chunkBytes)) {
    const {n} = chunk
    const Y = (await run.run({H: new ort.Tensor('float32', chunk.H!, [n, D]), Q})).Y.data as Float32Array
    const o = n === out.length ? out : out.subarray(0, n)
    tops.forEach((top, q) => {
      finishHeadRows(terms[q], n, C, r, chunk.Res!, chunk.Ah!, Y, M, q * m, o)
      // Most records fall below the k-th score: one comparison each, the heap only for the rest.
      let bar = top.threshold
      for (let b = 0; b < n; b++) {
        if (o[b] >= bar) {
          top.offer(chunk.start + b, o[b])
          bar = top.threshold
        }
      }
    })
  }
  return tops.map((top) => top.candidates())
}
