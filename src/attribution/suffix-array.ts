/**
 * Suffix arrays over integer token sequences: SA-IS (Nong, Zhang & Chan 2009) on typed arrays in
 * linear time, Kasai's LCP array, and a naive reference used by the tests and the benchmark.
 */

const L_TYPE = 0
const S_TYPE = 1

function getBuckets(T: Int32Array, n: number, K: number, end: boolean, bkt: Int32Array): void {
  bkt.fill(0, 0, K)
  for (let i = 0; i < n; i++) bkt[T[i]]++
  let sum = 0
  for (let c = 0; c < K; c++) {
    sum += bkt[c]
    bkt[c] = end ? sum : sum - bkt[c]
  }
}

function induce(T: Int32Array, SA: Int32Array, t: Uint8Array, n: number, K: number, bkt: Int32Array): void {
  getBuckets(T, n, K, false, bkt)
  for (let i = 0; i < n; i++) {
    const j = SA[i] - 1
    if (j >= 0 && t[j] === L_TYPE) SA[bkt[T[j]]++] = j
  }
  getBuckets(T, n, K, true, bkt)
  for (let i = n - 1; i >= 0; i--) {
    const j = SA[i] - 1
    if (j >= 0 && t[j] === S_TYPE) SA[--bkt[T[j]]] = j
  }
}

/**
 * SA-IS core. T[0..n) has values in [0, K) and ends with a unique smallest sentinel 0 at n−1.
 * Writes the suffix array into SA[0..n).
 */
function sais(T: Int32Array, SA: Int32Array, n: number, K: number): void {
  if (n === 1) {
    SA[0] = 0
    return
  }
  const t = new Uint8Array(n)
  t[n - 1] = S_TYPE
  for (let i = n - 2; i >= 0; i--) t[i] = T[i] < T[i + 1] || (T[i] === T[i + 1] && t[i + 1] === S_TYPE) ? S_TYPE : L_TYPE
  const isLMS = (i: number): boolean => i > 0 && t[i] === S_TYPE && t[i - 1] === L_TYPE
  const bkt = new Int32Array(K)

  // Stage 1: sort the LMS substrings by induction.
  getBuckets(T, n, K, true, bkt)
  SA.fill(-1, 0, n)
  for (let i = 1; i < n; i++) if (isLMS(i)) SA[--bkt[T[i]]] = i
  induce(T, SA, t, n, K, bkt)

  let n1 = 0
  for (let i = 0; i < n; i++) if (isLMS(SA[i])) SA[n1++] = SA[i]

  // Name the LMS substrings.
  SA.fill(-1, n1, n)
  let name = 0
  let prev = -1
  for (let i = 0; i < n1; i++) {
    const pos = SA[i]
    let diff = false
    for (let d = 0; d < n; d++) {
      if (prev === -1 || T[pos + d] !== T[prev + d] || t[pos + d] !== t[prev + d]) {
        diff = true
        break
      }
      if (d > 0 && (isLMS(pos + d) || isLMS(prev + d))) break
    }
    if (diff) {
      name++
      prev = pos
    }
    SA[n1 + (pos >> 1)] = name - 1
  }
  for (let i = n - 1, j = n - 1; i >= n1; i--) if (SA[i] >= 0) SA[j--] = SA[i]

  // Stage 2: sort the reduced problem (recursively when names repeat).
  const s1 = SA.subarray(n - n1, n)
  const SA1 = SA.subarray(0, n1)
  if (name < n1) sais(s1, SA1, n1, name)
  else for (let i = 0; i < n1; i++) SA1[s1[i]] = i

  // Stage 3: induce the full order from the sorted LMS suffixes.
  for (let i = 1, j = 0; i < n; i++) if (isLMS(i)) s1[j++] = i
  for (let i = 0; i < n1; i++) SA1[i] = s1[SA1[i]]
  SA.fill(-1, n1, n)
  getBuckets(T, n, K, true, bkt)
  for (let i = n1 - 1; i >= 0; i--) {
    const j = SA[i]
    SA[i] = -1
    SA[--bkt[T[j]]] = j
  }
  induce(T, SA, t, n, K, bkt)
}

/**
 * Suffix array of `tokens` (values in [0, alphabet)): SA[k] is the start of the k-th smallest suffix,
 * a shorter suffix sorting before any longer one it prefixes. Linear time and memory.
 */
export function buildSuffixArray(tokens: Int32Array | Uint32Array, alphabet?: number): Int32Array {
  const n = tokens.length
  let K = alphabet ?? 0
  if (alphabet === undefined) for (let i = 0; i < n; i++) if (tokens[i] + 1 > K) K = tokens[i] + 1
  const T = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) {
    const v = tokens[i]
    if (!(v >= 0 && v < K)) throw new RangeError(`token ${v} at ${i} is outside [0, ${K})`)
    T[i] = v + 1
  }
  T[n] = 0
  const SA = new Int32Array(n + 1)
  sais(T, SA, n + 1, K + 1)
  return SA.slice(1)
}

/** Kasai: lcp[k] = longest common prefix of the suffixes SA[k−1] and SA[k]; lcp[0] = 0. */
export function buildLcpArray(tokens: ArrayLike<number>, SA: Int32Array): Int32Array {
  const n = SA.length
  const rank = new Int32Array(n)
  for (let k = 0; k < n; k++) rank[SA[k]] = k
  const lcp = new Int32Array(n)
  let h = 0
  for (let i = 0; i < n; i++) {
    const k = rank[i]
    if (k > 0) {
      const j = SA[k - 1]
      while (i + h < n && j + h < n && tokens[i + h] === tokens[j + h]) h++
      lcp[k] = h
      if (h > 0) h--
    } else {
      h = 0
    }
  }
  return lcp
}

/** Reference suffix sort with Array.prototype.sort and token-by-token comparison (O(n² log n) worst). */
export function naiveSuffixArray(tokens: ArrayLike<number>): Int32Array {
  const n = tokens.length
  const idx = Array.from({length: n}, (_, i) => i)
  idx.sort((a, b) => {
    while (a < n && b < n) {
      const d = tokens[a] - tokens[b]
      if (d !== 0) return d
      a++
      b++
    }
    return a === n ? (b === n ? 0 : -1) : 1
  })
  return Int32Array.from(idx)
}
