/**
 * Suffix arrays over integer token sequences: SA-IS (Nong, Zhang & Chan 2009) on typed arrays in
 * linear time, Kasai's LCP array, and a naive reference used by the tests and the benchmark.
 */

/** The text: 16-bit when the alphabet fits (half the memory traffic of the induction scans), else 32-bit. */
type Symbols = Uint16Array | Int32Array

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

const SHORT_BITS = 4
const SHORT_MASK = (1 << SHORT_BITS) - 1

/**
 * What the naming pass compares first, one Int32 per LMS substring T[p, p + len): for a short one,
 * its length in the low bits and a hash of its symbols above them; for a long one, ~len. Unequal
 * keys mean unequal substrings, so T, read at random in sorted order, is only compared for the few
 * pairs whose keys agree (almost always truly equal ones). Computing the keys reads T in order.
 */
function substringKey(T: Symbols, p: number, len: number): number {
  if (len > SHORT_MASK) return ~len
  let h = 0
  for (let d = 0; d < len; d++) h = Math.imul(h ^ T[p + d], 0x9e3779b1)
  return ((h >>> (SHORT_BITS + 1)) << SHORT_BITS) | len
}

/**
 * Stage 1's induction: the same two scans, except that an entry is cleared once it has induced its
 * predecessor. Stage 1 needs only the order of the LMS suffixes, and this way they are all that is
 * left: the S scan writes an S-type j as ~j exactly when j−1 is L-type (j is LMS), and no later step
 * flips it back. Finding them afterwards is then a sequential scan for negative entries instead of
 * two random reads of the type array per entry.
 */
function induceLms(T: Symbols, SA: Int32Array, n: number, C: Int32Array, B: Int32Array, K: number): void {
  bucketStarts(C, B, K)
  for (let i = 0; i < n; i++) {
    const p = SA[i]
    if (p > 0) {
      SA[i] = 0
      const j = p - 1
      const c = T[j]
      SA[B[c]++] = j > 0 && T[j - 1] < c ? ~j : j
    } else if (p < 0) {
      SA[i] = ~p
    }
  }
  bucketEnds(C, B, K)
  for (let i = n - 1; i >= 0; i--) {
    const p = SA[i]
    if (p > 0) {
      SA[i] = 0
      const j = p - 1
      const c = T[j]
      SA[--B[c]] = j > 0 && T[j - 1] > c ? ~j : j
    }
  }
}

/**
 * Compares the suffixes x ≠ y of the reduced string s1 from their second name on: ±(names compared),
 * negative when x sorts first; 0 when that would take more than `limit` names. The last name of s1
 * is the sentinel's, unique, so two different suffixes always differ before either runs off the end.
 */
function compareReduced(s1: Int32Array, x: number, y: number, limit: number): number {
  let d = 1
  while (s1[x + d] === s1[y + d]) if (++d > limit) return 0
  return s1[x + d] < s1[y + d] ? -d : d
}

/** Heapsort's sift-down over SA1[a..a + size) from `root`: the names compared, or −1 past `limit`. */
function siftDown(s1: Int32Array, SA1: Int32Array, a: number, root: number, size: number, limit: number): number {
  let work = 0
  const v = SA1[a + root]
  for (let child = 2 * root + 1; child < size; child = 2 * root + 1) {
    if (child + 1 < size) {
      const r = compareReduced(s1, SA1[a + child], SA1[a + child + 1], limit - work)
      if (r === 0) return -1
      work += r < 0 ? -r : r
      if (r < 0) child++
    }
    const r = compareReduced(s1, SA1[a + child], v, limit - work)
    if (r === 0) return -1
    work += r < 0 ? -r : r
    if (r < 0) break
    SA1[a + root] = SA1[a + child]
    root = child
  }
  SA1[a + root] = v
  return work
}

/**
 * Sorts SA1[a..b), suffixes of s1 that share their first name, by the names that follow, in place
 * and without allocating: insertion sort for the many small groups, heapsort (m·log m comparisons
 * at worst) for the rest. Returns the names compared, or −1 once that passes `limit`.
 */
function sortGroup(s1: Int32Array, SA1: Int32Array, a: number, b: number, limit: number): number {
  let work = 0
  if (b - a <= 12) {
    for (let i = a + 1; i < b; i++) {
      const v = SA1[i]
      let j = i - 1
      for (; j >= a; j--) {
        const r = compareReduced(s1, SA1[j], v, limit - work)
        if (r === 0) return -1
        work += r < 0 ? -r : r
        if (r < 0) break
        SA1[j + 1] = SA1[j]
      }
      SA1[j + 1] = v
    }
    return work
  }
  const m = b - a
  for (let root = (m >> 1) - 1; root >= 0; root--) {
    const w = siftDown(s1, SA1, a, root, m, limit - work)
    if (w < 0) return -1
    work += w
  }
  for (let end = m - 1; end > 0; end--) {
    const top = SA1[a]
    SA1[a] = SA1[a + end]
    SA1[a + end] = top
    const w = siftDown(s1, SA1, a, 0, end, limit - work)
    if (w < 0) return -1
    work += w
  }
  return work
}

/**
 * Suffix array of the reduced string s1 without recursing, for when few names repeat (nearly
 * always on word tokens at the deeper levels, often at the top one): the suffixes are bucketed by
 * their first name, which alone orders every suffix whose name is unique, and each bucket of a
 * repeated name is sorted by comparing the names that follow. `groupStarts[x]` is where name x's
 * bucket begins (it is used up). Returns false, leaving SA1 to be overwritten, as soon as the names
 * compared would pass `budget` (long repeats, where recursion's linear time wins); every comparison
 * counts at least one, so the attempt is linear in n1 either way.
 */
function sortReducedDirect(s1: Int32Array, SA1: Int32Array, n1: number, groupStarts: Int32Array, names: number, budget: number): boolean {
  for (let i = 0; i < n1; i++) SA1[groupStarts[s1[i]]++] = i
  let work = 0
  for (let x = 0, a = 0; x < names; x++) {
    const b = groupStarts[x]
    if (b - a > 1) {
      const w = sortGroup(s1, SA1, a, b, budget - work)
      if (w < 0) return false
      work += w
    }
    a = b
  }
  return true
}

/**
 * Names the LMS substrings, whose positions SA[0..n1) holds in sorted order: equal substrings share
 * a name, names count up in that order, and the reduced string (the names in text order) is left in
 * SA[n − n1..n). Returns the number of names; groupStarts[x] = where name x first appears in SA[0..n1).
 *
 * Each substring's key (substringKey, to the next LMS position inclusive) is noted first at
 * n1 + pos/2 (LMS positions are at least 2 apart), then replaced by its name. Two substrings of
 * equal length and symbols have equal types too (the types follow from the symbols and the S type
 * of the closing LMS position), so no type array is needed.
 */
function nameLmsSubstrings(T: Symbols, SA: Int32Array, n: number, n1: number, groupStarts: Int32Array): number {
  SA.fill(-1, n1, n)
  SA[n1 + ((n - 1) >> 1)] = substringKey(T, n - 1, 1) // the sentinel, the last LMS position
  for (let i = n - 3, sNext = T[n - 2] < T[n - 1], next = n - 1; i >= 0; i--) {
    const s: boolean = T[i] < T[i + 1] || (T[i] === T[i + 1] && sNext)
    if (sNext && !s) {
      SA[n1 + ((i + 1) >> 1)] = substringKey(T, i + 1, next - i)
      next = i + 1
    }
    sNext = s
  }
  let name = 0
  let prev = -1
  let prevKey = 0
  for (let i = 0; i < n1; i++) {
    const pos = SA[i]
    const key = SA[n1 + (pos >> 1)]
    let diff = key !== prevKey || prev < 0
    if (!diff) {
      const len = key < 0 ? ~key : key & SHORT_MASK
      for (let d = 0; !diff && d < len; d++) if (T[pos + d] !== T[prev + d]) diff = true
    }
    if (diff) {
      groupStarts[name++] = i
      prev = pos
      prevKey = key
    }
    SA[n1 + (pos >> 1)] = name - 1
  }
  for (let i = n - 1, j = n - 1; i >= n1; i--) if (SA[i] >= 0) SA[j--] = SA[i]
  return name
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
  // Bucket sizes are counted once per level; starts and ends are rebuilt from them in O(K).
  const C = new Int32Array(K)
  for (let i = 0; i < n; i++) C[T[i]]++
  const B = new Int32Array(K)

  // Stage 1: sort the LMS substrings by induction.
  bucketEnds(C, B, K)
  SA.fill(0, 0, n)
  // The LMS positions, found right to left (as everywhere below): a position's type follows from
  // its symbol, the next one and the next one's type, so no type array is stored. Their order within
  // a bucket does not matter here.
  for (let i = n - 2, sNext = true; i >= 0; i--) {
    const s: boolean = T[i] < T[i + 1] || (T[i] === T[i + 1] && sNext)
    if (sNext && !s) SA[--B[T[i + 1]]] = i + 1
    sNext = s
  }
  induceLms(T, SA, n, C, B, K)

  // The sentinel, the smallest suffix, induced nothing back into SA[0]; the other LMS suffixes are
  // the negative entries, in sorted order of their LMS substrings.
  SA[0] = n - 1
  let n1 = 1
  for (let i = 1; i < n; i++) {
    const p = SA[i]
    if (p < 0) SA[n1++] = ~p
  }

  const groupStarts = new Int32Array(n1)
  const name = nameLmsSubstrings(T, SA, n, n1, groupStarts)

  // Stage 2: sort the reduced problem: directly when names are unique or few repeat, else recursively.
  const s1 = SA.subarray(n - n1, n)
  const SA1 = SA.subarray(0, n1)
  if (name === n1) for (let i = 0; i < n1; i++) SA1[s1[i]] = i
  // A name comparison costs a few ns and recursing about a tenth of a µs per name, so the direct
  // sort may compare up to 4 names per name before recursion is the cheaper way.
  else if (!sortReducedDirect(s1, SA1, n1, groupStarts, name, 4 * n1)) sais(s1, SA1, n1, name)

  // Stage 3: induce the full order from the sorted LMS suffixes.
  for (let i = n - 2, j = n1, sNext = true; i >= 0; i--) {
    const s: boolean = T[i] < T[i + 1] || (T[i] === T[i + 1] && sNext)
    if (sNext && !s) s1[--j] = i + 1
    sNext = s
  }
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
