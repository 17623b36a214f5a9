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
