import {AttributionInputError} from '../errors.js'
import {topKByScore} from '../top-k.js'

export type EmbeddingIndex = {N: number; D: number; E: Float32Array; invNorm: Float32Array}

/** Record vectors (N×D, the encoder's outputs) with their inverse norms, computed once. */
export function createEmbeddingIndex(E: Float32Array, N: number, D: number): EmbeddingIndex {
  if (E.length !== N * D) throw new AttributionInputError(`record vectors have ${E.length} values, expected N×D = ${N}×${D}`)
  const invNorm = new Float32Array(N)
  for (let i = 0; i < N; i++) {
    let s = 0
    for (let j = 0; j < D; j++) s += E[i * D + j] ** 2
    invNorm[i] = s > 0 ? 1 / Math.sqrt(s) : 0
  }
  return {N, D, E, invNorm}
}

/** Top-k records by cosine similarity to `v`. */
export function embeddingNeighbours(ei: EmbeddingIndex, v: Float32Array, k = 20): Array<{index: number; score: number}> {
  if (v.length !== ei.D) throw new AttributionInputError(`query vector has ${v.length} values, expected D = ${ei.D}`)
  let vn = 0
  for (let j = 0; j < ei.D; j++) vn += v[j] * v[j]
  if (!(vn > 0)) return []
  vn = 1 / Math.sqrt(vn)
  const {E, D, N} = ei
  const scores = new Float64Array(N)
  for (let i = 0; i < N; i++) {
    let s0 = 0
    let s1 = 0
    let j = 0
    for (; j + 1 < D; j += 2) {
      s0 += E[i * D + j] * v[j]
      s1 += E[i * D + j + 1] * v[j + 1]
    }
    if (j < D) s0 += E[i * D + j] * v[j]
    scores[i] = (s0 + s1) * ei.invNorm[i] * vn
  }
  return topKByScore(scores, k).map((i) => ({index: i, score: scores[i]}))
}
