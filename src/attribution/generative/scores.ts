/**
 * Influence scores on stored per-record LoRA gradients, engine-independent: plain typed arrays in,
 * one score per record out. Positive = proponent (training on the record lowers the answer's loss),
 * the sign convention of the receipt builder.
 *
 * Layout: a gradient set holds, per layer (one PEFT tensor, possibly projected), an N×d row-major
 * Float32Array; row i is record i (training order). A query holds one d-vector per layer.
 */
import {AttributionInputError} from '../index.js'

export type LayerGradients = {name: string; dim: number; rows: Float32Array}
/** One checkpoint's per-record gradients, layer by layer. */
export type GradientSet = {records: number; layers: LayerGradients[]}
/** The query's gradient (of the generated answer's summed NLL), per layer, same names and order. */
export type QueryGradient = Float32Array[]

/** DataInf's damping fraction: λ_l = DAMPING · mean_i ‖g_il‖² / d_l (Kwon et al., 2023). */
export const DATAINF_DAMPING = 0.1

function checkQuery(set: GradientSet, q: QueryGradient): void {
  if (q.length !== set.layers.length)
    throw new AttributionInputError(`the query has ${q.length} gradient layers, the stored gradients ${set.layers.length}`)
  set.layers.forEach((l, j) => {
    if (q[j].length !== l.dim)
      throw new AttributionInputError(`layer ${l.name}: the query gradient has ${q[j].length} values, the stored ones ${l.dim}`)
    if (l.rows.length !== set.records * l.dim)
      throw new AttributionInputError(`layer ${l.name}: ${l.rows.length} stored values, expected ${set.records}×${l.dim}`)
  })
}

function rowDot(rows: Float32Array, i: number, d: number, v: ArrayLike<number>): number {
  let s0 = 0
  let s1 = 0
  const o = i * d
  let j = 0
  for (; j + 1 < d; j += 2) {
    s0 += rows[o + j] * v[j]
    s1 += rows[o + j + 1] * v[j + 1]
  }
  if (j < d) s0 += rows[o + j] * v[j]
  return s0 + s1
}

/** Per record ‖g_il‖² of one layer, and λ_l. */
export function layerDamping(l: LayerGradients, n: number): {sq: Float64Array; lambda: number} {
  const sq = new Float64Array(n)
  let mean = 0
  for (let i = 0; i < n; i++) {
    sq[i] = rowDot(l.rows, i, l.dim, l.rows.subarray(i * l.dim, (i + 1) * l.dim))
    mean += sq[i] / n
  }
  // A layer whose gradients are all zero (e.g. lora_A while lora_B is still zero) carries no signal;
  // any positive λ keeps the formula finite and its contribution zero.
  return {sq, lambda: mean > 0 ? (DATAINF_DAMPING * mean) / l.dim : 1}
}

/**
 * DataInf: per layer, H_l⁻¹ ≈ (1/n) Σ_i (λ_l I + g_il g_ilᵀ)⁻¹, applied by Sherman–Morrison as
 * h_l = (v_l − (1/n) Σ_i c_il g_il)/λ_l with c_il = (v_l·g_il)/(λ_l + ‖g_il‖²); score_k = Σ_l h_l·g_kl
 * (the negative of DataInf's influence, so positive helps). Two passes, O(Σ_l n·d_l), no inverse.
 */
export function datainfScores(set: GradientSet, query: QueryGradient): Float64Array {
  checkQuery(set, query)
  const n = set.records
  const out = new Float64Array(n)
  set.layers.forEach((l, j) => {
    const d = l.dim
    const v = query[j]
    const {sq, lambda} = layerDamping(l, n)
    const h = Float64Array.from(v)
    for (let i = 0; i < n; i++) {
      const c = rowDot(l.rows, i, d, v) / (lambda + sq[i]) / n
      if (c === 0) continue
      const o = i * d
      for (let t = 0; t < d; t++) h[t] -= c * l.rows[o + t]
    }
    for (let t = 0; t < d; t++) h[t] /= lambda
    for (let i = 0; i < n; i++) out[i] += rowDot(l.rows, i, d, h)
  })
  return out
}

/**
 * DataInf self-influence: g_kᵀ H̃_l⁻¹ g_k summed over layers, with the same approximate inverse,
 * = Σ_l (1/λ_l)[‖g_kl‖² − (1/n) Σ_i (g_il·g_kl)²/(λ_l + ‖g_il‖²)]. O(Σ_l n²·d_l).
 */
export function datainfSelfInfluence(set: GradientSet): Float64Array {
  const n = set.records
  const out = new Float64Array(n)
  for (const l of set.layers) {
    const d = l.dim
    const {sq, lambda} = layerDamping(l, n)
    for (let k = 0; k < n; k++) {
      const gk = l.rows.subarray(k * d, (k + 1) * d)
      let s = 0
      for (let i = 0; i < n; i++) {
        const dk = i === k ? sq[k] : rowDot(l.rows, i, d, gk)
        s += (dk * dk) / (lambda + sq[i])
      }
      out[k] += (sq[k] - s / n) / lambda
    }
  }
  return out
}

/** One saved checkpoint's gradients with the learning rate of the epoch that ended there. */
export type TracinCheckpoint = {set: GradientSet; lr: number}

/** TracIn (Pruthi et al., 2020) over checkpoints: score_k = Σ_c lr_c ⟨g_k^c, v^c⟩. */
export function tracinScores(checkpoints: TracinCheckpoint[], queries: QueryGradient[]): Float64Array {
  if (checkpoints.length === 0) throw new AttributionInputError('TracIn needs at least one checkpoint')
  if (queries.length !== checkpoints.length)
    throw new AttributionInputError(`${queries.length} query gradients for ${checkpoints.length} checkpoints`)
  const n = checkpoints[0].set.records
  const out = new Float64Array(n)
  checkpoints.forEach(({set, lr}, c) => {
    if (set.records !== n) throw new AttributionInputError(`checkpoint ${c} holds ${set.records} records, the first ${n}`)
    checkQuery(set, queries[c])
    set.layers.forEach((l, j) => {
      for (let i = 0; i < n; i++) out[i] += lr * rowDot(l.rows, i, l.dim, queries[c][j])
    })
  })
  return out
}

/** TracIn self-influence: Σ_c lr_c ‖g_k^c‖². */
export function tracinSelfInfluence(checkpoints: TracinCheckpoint[]): Float64Array {
  if (checkpoints.length === 0) throw new AttributionInputError('TracIn needs at least one checkpoint')
  const n = checkpoints[0].set.records
  const out = new Float64Array(n)
  for (const {set, lr} of checkpoints) {
    for (const l of set.layers) {
      for (let i = 0; i < n; i++) out[i] += lr * rowDot(l.rows, i, l.dim, l.rows.subarray(i * l.dim, (i + 1) * l.dim))
    }
  }
  return out
}
