/**
 * A seeded Johnson–Lindenstrauss sketch per layer: y = P x with P ∈ R^{k×d}, entries N(0, 1/k), so
 * inner products (and hence DataInf and TracIn scores) are preserved in expectation while the
 * stored gradients shrink from d to k values per layer. P is regenerated from (seed, layer name),
 * never stored; training and query gradients go through the same P.
 */
import {createRandom, mix32} from '../../model/prng.js'

export type Projection = {dim: number; seed: number}

function nameHash(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return h >>> 0
}

// P for (seed, layer, d, k): kept for the process, as every record and query reuses it.
const cache = new Map<string, Float32Array>()

function matrix(p: Projection, layer: string, d: number): Float32Array {
  const key = `${p.seed}:${p.dim}:${d}:${layer}`
  let P = cache.get(key)
  if (!P) {
    const g = createRandom(mix32(p.seed ^ nameHash(layer))).gauss
    const scale = 1 / Math.sqrt(p.dim)
    P = Float32Array.from({length: p.dim * d}, () => g() * scale)
    cache.set(key, P)
  }
  return P
}

/** The stored width of a layer of d values: k when projecting shrinks it, else d (kept as is). */
export function projectedDim(p: Projection | undefined, d: number): number {
  return p && p.dim < d ? p.dim : d
}

/** Projects one layer's gradient (returned unchanged when projection would not shrink it). */
export function projectLayer(p: Projection | undefined, layer: string, x: Float32Array): Float32Array {
  const d = x.length
  if (!p || p.dim >= d) return x
  const P = matrix(p, layer, d)
  const y = new Float32Array(p.dim)
  for (let r = 0; r < p.dim; r++) {
    let s = 0
    const o = r * d
    for (let t = 0; t < d; t++) s += P[o + t] * x[t]
    y[r] = s
  }
  return y
}
