/** The evaluation's statistics: correlations and ROC AUC, as dattri and the papers define them. */

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
