/** Small dense linear algebra on Float64Array, row-major. */

/**
 * In-place Cholesky of a symmetric positive-definite n×n matrix (only the lower triangle is read).
 * On return the lower triangle holds L with M = L Lᵀ; the strict upper triangle is zeroed.
 * Returns false when a pivot is not positive.
 */
export function choleskyInPlace(M: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n
    let d = M[rj + j]
    for (let k = 0; k < j; k++) d -= M[rj + k] * M[rj + k]
    if (!(d > 0) || !Number.isFinite(d)) return false
    const ljj = Math.sqrt(d)
    M[rj + j] = ljj
    const inv = 1 / ljj
    for (let i = j + 1; i < n; i++) {
      const ri = i * n
      let s = M[ri + j]
      for (let k = 0; k < j; k++) s -= M[ri + k] * M[rj + k]
      M[ri + j] = s * inv
    }
    for (let k = j + 1; k < n; k++) M[rj + k] = 0
  }
  return true
}

/** Solves L y = b in place (L lower triangular from choleskyInPlace). */
export function forwardSubst(L: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n
    let s = b[i]
    for (let k = 0; k < i; k++) s -= L[ri + k] * b[k]
    b[i] = s / L[ri + i]
  }
}

/** Solves Lᵀ x = y in place (row-oriented: reads L row by row). */
export function backSubst(L: Float64Array, n: number, y: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n
    const xi = y[i] / L[ri + i]
    y[i] = xi
    for (let k = 0; k < i; k++) y[k] -= L[ri + k] * xi
  }
}

/** Solves (L Lᵀ) x = b in place. */
export function cholSolve(L: Float64Array, n: number, b: Float64Array): void {
  forwardSubst(L, n, b)
  backSubst(L, n, b)
}

/** Numerically stable softmax of `z` (length C) into `out`. */
export function softmaxInto(z: ArrayLike<number>, C: number, out: Float64Array): void {
  let m = -Infinity
  for (let c = 0; c < C; c++) if (z[c] > m) m = z[c]
  let s = 0
  for (let c = 0; c < C; c++) {
    const e = Math.exp(z[c] - m)
    out[c] = e
    s += e
  }
  for (let c = 0; c < C; c++) out[c] /= s
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, n: number, ao = 0, bo = 0): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let j = 0
  for (; j + 3 < n; j += 4) {
    s0 += a[ao + j] * b[bo + j]
    s1 += a[ao + j + 1] * b[bo + j + 1]
    s2 += a[ao + j + 2] * b[bo + j + 2]
    s3 += a[ao + j + 3] * b[bo + j + 3]
  }
  for (; j < n; j++) s0 += a[ao + j] * b[bo + j]
  return s0 + s1 + s2 + s3
}

/** Pearson correlation. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]
    my += y[i]
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx
    const b = y[i] - my
    sxy += a * b
    sxx += a * a
    syy += b * b
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0
}

/** Average ranks (ties share their mean rank), 1-based. */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length
  const idx = Array.from({length: n}, (_, i) => i).sort((a, b) => x[a] - x[b])
  const r = new Float64Array(n)
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && x[idx[j + 1]] === x[idx[i]]) j++
    const avg = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) r[idx[k]] = avg
    i = j + 1
  }
  return r
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y))
}

/** ROC AUC of `scores` for binary `positive` labels (Mann–Whitney U, ties count one half). */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const r = ranks(scores)
  let nPos = 0
  let sumPos = 0
  for (let i = 0; i < scores.length; i++) {
    if (positive[i]) {
      nPos++
      sumPos += r[i]
    }
  }
  const nNeg = scores.length - nPos
  if (nPos === 0 || nNeg === 0) return Number.NaN
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/** Deterministic PRNG (mulberry32) with a Gaussian sampler. */
export function rng(seed: number): {next: () => number; gauss: () => number; int: (n: number) => number} {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  let spare: number | undefined
  const gauss = (): number => {
    if (spare !== undefined) {
      const s = spare
      spare = undefined
      return s
    }
    let u = 0
    while (u === 0) u = next()
    const v = next()
    const m = Math.sqrt(-2 * Math.log(u))
    spare = m * Math.sin(2 * Math.PI * v)
    return m * Math.cos(2 * Math.PI * v)
  }
  return {next, gauss, int: (n) => Math.floor(next() * n)}
}
