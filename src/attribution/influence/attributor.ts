import {NoCheckpointsError} from '../errors.js'
import {prepareWeights, queryState, validateInput, type PreparedWeights, type QueryState} from '../model.js'
import type {AttributionInput, Query} from '../types.js'

/**
 * Gradient attribution over the trainable part (adapter + head).
 *
 * Every per-example gradient block is rank one, so dot products factor:
 *   head  ⟨res_i x̂_iᵀ, res_t x̂_tᵀ⟩           = (res_i·res_t)(x̂_i·x̂_t)
 *   B     ⟨u_i (A h_i)ᵀ, u_t (A h_t)ᵀ⟩        = (res_iᵀ G res_t)((A h_i)·(A h_t)),  G = W_D W_Dᵀ
 *   A     ⟨(Bᵀu_i) h_iᵀ, (Bᵀu_t) h_tᵀ⟩        = ((Bᵀu_i)·(Bᵀu_t))(h_i·h_t)
 * with x̂_i·x̂_t = h_i·h'_t + (A h_i)·(Bᵀ h'_t) + 1 and h_i·h'_t = h_i·h_t + (Bᵀh_i)·(A h_t), where
 * A h_i, Bᵀ h_i, Bᵀ u_i and res_i are computed once per model (and checkpoint). One query, over any
 * number of checkpoints, therefore reads each row of H once for the single dot product h_i·h_t, plus
 * O(K·(C + r)) per record.
 */
export type Attributor = {
  input: AttributionInput
  final: PreparedWeights
  /** Filled on first use by TracIn. */
  checkpoints?: PreparedWeights[]
}

export type CreateAttributorOptions = {
  /** The final weights' per-record quantities, when already computed for exactly this input (a cache). */
  prepared?: Omit<PreparedWeights, 'weights' | 'lr'>
}

/** Validates the input and computes the final weights' per-record quantities once. */
export function createAttributor(input: AttributionInput, opts: CreateAttributorOptions = {}): Attributor {
  validateInput(input)
  return {input, final: opts.prepared ? {...opts.prepared, weights: input, lr: 1} : prepareWeights(input, input)}
}

/** The checkpoints' per-record quantities, prepared on first use (TracIn). */
export function ensureCheckpoints(att: Attributor): PreparedWeights[] {
  if (att.input.checkpoints.length === 0) throw new NoCheckpointsError()
  att.checkpoints ??= att.input.checkpoints.map((ck) => prepareWeights(att.input, ck, ck.lr))
  return att.checkpoints
}

/** The label a query explains: the given one, or the final model's prediction. */
export function resolveQuery(att: Attributor, q: Query): QueryState {
  const {D, C, r} = att.input
  return queryState(att.input, D, C, r, q.h, q.label)
}

/** x̂_i = [h'_i; 1] into out (length D + 1). */
export function featureRow(att: Attributor, i: number, out: Float64Array): void {
  featureRowAt(att.input.D, att.input.r, att.input.H, att.final.Ah, att.final.weights.B, i, out)
}

/** What the rows x̂_i are built from: H (n×D), A h (n×r) and the adapter's B (D×r). */
export type FeatureRows = {n: number; D: number; r: number; H: Float32Array; Ah: Float32Array; B: Float32Array}

/** The attributor's training rows as FeatureRows. */
export function featureRowsOf(att: Attributor): FeatureRows {
  const {N, D, r, H} = att.input
  return {n: N, D, r, H, Ah: att.final.Ah, B: att.final.weights.B}
}

/** x̂_i of row i of `f` (the whole set or one chunk) into out. */
export function featureRowOf(f: FeatureRows, i: number, out: Float64Array): void {
  featureRowAt(f.D, f.r, f.H, f.Ah, f.B, i, out)
}

/** x̂_i = [h_i + B (A h_i); 1] into out (length D + 1). */
function featureRowAt(D: number, r: number, H: Float32Array, Ah: Float32Array, B: Float32Array, i: number, out: Float64Array): void {
  for (let j = 0; j < D; j++) {
    let s = H[i * D + j]
    for (let l = 0; l < r; l++) s += B[j * r + l] * Ah[i * r + l]
    out[j] = s
  }
  out[D] = 1
}
