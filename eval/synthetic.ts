import {createRandom, shuffleInPlace} from '../src/model/prng.js'

export type ClusterData = {N: number; D: number; C: number; H: Float32Array; labels: Int32Array}

/**
 * Gaussian class clusters in R^D: class means with pairwise distances ≈ `separation`, unit isotropic
 * noise (so classes overlap, as real embeddings do: Bayes accuracy below 100%), all scaled by 1/√D
 * so that feature norms are about 1.
 */
export function gaussianClusters(opts: {
  N: number
  D: number
  C: number
  seed: number
  separation?: number
  means?: Float64Array
}): ClusterData & {means: Float64Array} {
  const {N, D, C} = opts
  const g = createRandom(opts.seed)
  const sep = opts.separation ?? 3.5
  let means = opts.means
  if (!means) {
    means = new Float64Array(C * D)
    for (let k = 0; k < C * D; k++) means[k] = (g.gauss() * sep) / Math.sqrt(2 * D)
  }
  const H = new Float32Array(N * D)
  const labels = new Int32Array(N)
  for (let i = 0; i < N; i++) {
    const y = i % C
    labels[i] = y
    for (let j = 0; j < D; j++) H[i * D + j] = (means[y * D + j] + g.gauss()) / Math.sqrt(D)
  }
  return {N, D, C, H, labels, means}
}

/** Flips `fraction` of the labels to a different class, chosen at random. */
export function flipLabels(labels: Int32Array, C: number, fraction: number, seed: number): {labels: Int32Array; flipped: Uint8Array} {
  const g = createRandom(seed)
  const N = labels.length
  const out = Int32Array.from(labels)
  const flipped = new Uint8Array(N)
  const idx = shuffleInPlace(
    Array.from({length: N}, (_, i) => i),
    g,
  )
  const m = Math.round(N * fraction)
  for (let k = 0; k < m; k++) {
    const i = idx[k]
    out[i] = (labels[i] + 1 + g.int(C - 1)) % C
    flipped[i] = 1
  }
  return {labels: out, flipped}
}
