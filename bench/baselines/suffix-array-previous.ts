// buildSuffixArray as it was before the stage-1 marking and the reduced sort without recursion: the
// "previous" baseline of the suffix-array rows in bench/attribution.ts. Kept as it was; do not edit.
/**
 * Suffix arrays over integer token sequences: SA-IS (Nong, Zhang & Chan 2009) on typed arrays in
 * linear time, Kasai's LCP array, and a naive reference used by the tests and the benchmark.
 */

/** The text: 16-bit when the alphabet fits (half the memory traffic of the induction scans), else 32-bit. */
type Symbols = Uint16Array | Int32Array

const L_TYPE = 0
const S_TYPE = 1

/** B[c] = where bucket c starts in the suffix array. */
function bucketStarts(C: Int32Array, B: Int32Array, K: number): void {
  let sum = 0
  for (let c = 0; c < K; c++) {
    B[c] = sum
    sum += C[c]
  }
}

/** B[c] = one past where bucket c ends. */
function bucketEnds(C: Int32Array, B: Int32Array, K: number): void {
  let sum = 0
  for (let c = 0; c < K; c++) {
    sum += C[c]
    B[c] = sum
  }
}

/**
 * Induced sorting: from the LMS suffixes at the ends of their buckets, places every L-type suffix
 * (left-to-right scan) and then every S-type suffix (right-to-left scan).
 *
 * No type array is read here. An entry carries, in its sign, whether the suffix before it is to be
 * induced in the current scan: a suffix j is written as j when j−1 must be induced, as ~j when not,
 * which T[j−1] against T[j] decides (j−1 is S-type before an L-type j only when T[j−1] < T[j]; it
 * is S-type before an S-type j when T[j−1] ≤ T[j]). The L scan flips every entry it passes, so the
 * S scan sees the opposite question answered; the S scan flips the rest back. That replaces a random
 * read of the type array with a read of T[j−1], which shares a cache line with T[j]: the induction
 * scans are memory-bound, and this is about a third of their random reads.
 */
function induce(T: Symbols, SA: Int32Array, n: number, C: Int32Array, B: Int32Array, K: number): void {
  bucketStarts(C, B, K)
  for (let i = 0; i < n; i++) {
    const p = SA[i]
    SA[i] = ~p
    if (p > 0) {
      const j = p - 1
      const c = T[j]
      SA[B[c]++] = j > 0 && T[j - 1] < c ? ~j : j
    }
  }
  bucketEnds(C, B, K)
  for (let i = n - 1; i >= 0; i--) {
    const p = SA[i]
    if (p > 0) {
      const j = p - 1
      const c = T[j]
      SA[--B[c]] = j > 0 && T[j - 1] <= c ? j : ~j
    } else {
      SA[i] = ~p
    }
  }
}

/**
 * SA-IS core. T[0..n) has values in [0, K) and ends with a unique smallest sentinel 0 at n−1.
 * Writes the suffix array into SA[0..n). Empty slots hold 0 while inducing: suffix 0 is never LMS
 * and induces nothing, so the two never need telling apart.
 */
function sais(T: Symbols, SA: Int32Array, n: number, K: number): void {
  if (n === 1) {
    SA[0] = 0
    return
  }
  const t = new Uint8Array(n)
  t[n - 1] = S_TYPE
  for (let i = n - 2; i >= 0; i--) t[i] = T[i] < T[i + 1] || (T[i] === T[i + 1] && t[i + 1] === S_TYPE) ? S_TYPE : L_TYPE
  // Bucket sizes are counted once per level; starts and ends are rebuilt from them in O(K).
  const C = new Int32Array(K)
  for (let i = 0; i < n; i++) C[T[i]]++
  const B = new Int32Array(K)

  // Stage 1: sort the LMS substrings by induction.
  bucketEnds(C, B, K)
  SA.fill(0, 0, n)
  for (let i = 1; i < n; i++) if (t[i] === S_TYPE && t[i - 1] === L_TYPE) SA[--B[T[i]]] = i
  induce(T, SA, n, C, B, K)

  let n1 = 0
  for (let i = 0; i < n; i++) {
    const p = SA[i]
    if (p > 0 && t[p] === S_TYPE && t[p - 1] === L_TYPE) SA[n1++] = p
  }

  // Name the LMS substrings: equal substrings share a name. Each one's length (to the next LMS
  // position, inclusive) is noted first at n1 + pos/2 (LMS positions are at least 2 apart): two
  // substrings of equal length and symbols have equal types too (the types follow from the symbols
  // and the S type of the closing LMS position), so most pairs are told apart by length alone and
  // the rest by T, without the type array's random reads.
  SA.fill(-1, n1, n)
  for (let i = 1, last = -1; i < n; i++) {
    if (t[i] === S_TYPE && t[i - 1] === L_TYPE) {
      if (last >= 0) SA[n1 + (last >> 1)] = i - last + 1
      last = i
    }
  }
  SA[n1 + ((n - 1) >> 1)] = 1 // the sentinel, the last LMS position
  let name = 0
  let prev = -1
  let prevLen = 0
  for (let i = 0; i < n1; i++) {
    const pos = SA[i]
    const len = SA[n1 + (pos >> 1)]
    let diff = len !== prevLen
    for (let d = 0; !diff && d < len; d++) if (T[pos + d] !== T[prev + d]) diff = true
    if (diff) {
      name++
      prev = pos
      prevLen = len
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
  for (let i = 1, j = 0; i < n; i++) if (t[i] === S_TYPE && t[i - 1] === L_TYPE) s1[j++] = i
  for (let i = 0; i < n1; i++) SA1[i] = s1[SA1[i]]
  SA.fill(0, n1, n)
  bucketEnds(C, B, K)
  for (let i = n1 - 1; i >= 0; i--) {
    const j = SA[i]
    SA[i] = 0
    SA[--B[T[j]]] = j
  }
  induce(T, SA, n, C, B, K)
}

/**
 * Suffix array of `tokens` (values in [0, alphabet)): SA[k] is the start of the k-th smallest suffix,
 * a shorter suffix sorting before any longer one it prefixes. Linear time and memory.
 */
export function buildSuffixArray(tokens: Int32Array | Uint32Array, alphabet?: number): Int32Array {
  const n = tokens.length
  let K = alphabet ?? 0
  if (alphabet === undefined) for (let i = 0; i < n; i++) if (tokens[i] + 1 > K) K = tokens[i] + 1
  const T = K + 1 <= 0x10000 ? new Uint16Array(n + 1) : new Int32Array(n + 1)
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
