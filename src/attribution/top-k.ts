/**
 * The k best of n items by a total order, without sorting all n: a bounded heap holding the k best
 * so far, worst at the root, so each further item costs one comparison unless it gets in
 * (O(n + k log k · log n) in practice instead of O(n log n)). A receipt lists 20 of 100k records.
 *
 * `before(a, b)` < 0 when item a ranks before item b; it must be a total order (break ties), and the
 * result is then exactly the first k of a full sort by it, in that order.
 */
export function topK(n: number, k: number, before: (a: number, b: number) => number): number[] {
  const m = Math.max(0, Math.min(k, n))
  if (m === 0) return []
  // heap[0] is the worst of the kept items: the one every other item ranks before.
  const heap = new Int32Array(m)
  let size = 0
  const worse = (a: number, b: number) => before(a, b) > 0
  const siftUp = (pos: number) => {
    const v = heap[pos]
    while (pos > 0) {
      const parent = (pos - 1) >> 1
      if (!worse(v, heap[parent])) break
      heap[pos] = heap[parent]
      pos = parent
    }
    heap[pos] = v
  }
  const siftDown = (pos: number) => {
    const v = heap[pos]
    for (;;) {
      let child = 2 * pos + 1
      if (child >= size) break
      if (child + 1 < size && worse(heap[child + 1], heap[child])) child++
      if (!worse(heap[child], v)) break
      heap[pos] = heap[child]
      pos = child
    }
    heap[pos] = v
  }
  for (let i = 0; i < n; i++) {
    if (size < m) {
      heap[size++] = i
      siftUp(size - 1)
    } else if (before(i, heap[0]) < 0) {
      heap[0] = i
      siftDown(0)
    }
  }
  return Array.from(heap).sort(before)
}

/** Indices of the k highest scores, highest first; equal scores in index order. */
export function topKByScore(scores: ArrayLike<number>, k: number): number[] {
  return topK(scores.length, k, (a, b) => scores[b] - scores[a] || a - b)
}

/**
 * The k highest scores of a stream of (index, score) pairs offered one at a time, for a pass that
 * never holds all N scores (streamed-influence.ts). It keeps the k best in a min-heap by score and,
 * beside them, every other item tied with the k-th score: a caller whose order breaks ties by
 * something else (the receipt's record hash) then gets exactly the first k of a full sort by that
 * order. Memory is O(k + items tied at the boundary).
 */
export class RunningTopK {
  private readonly idx: Int32Array
  private readonly val: Float64Array
  private size = 0
  /** Items not in the heap whose score equals the heap's minimum. */
  private tiedIdx: number[] = []
  private tiedAt = Number.NaN

  constructor(readonly k: number) {
    const m = Math.max(0, Math.floor(k))
    this.idx = new Int32Array(m)
    this.val = new Float64Array(m)
  }

  /** The score an item must reach to be kept (−Infinity until k items were offered). */
  get threshold(): number {
    return this.size < this.idx.length ? Number.NEGATIVE_INFINITY : this.val[0]
  }

  offer(i: number, score: number): void {
    const m = this.idx.length
    if (m === 0) return
    if (this.size < m) {
      this.push(i, score)
      return
    }
    const min = this.val[0]
    if (score < min) return
    if (score === min) {
      this.keepTied(i, score)
      return
    }
    const out = this.idx[0]
    this.replaceRoot(i, score)
    // The evicted item stays a candidate only while it still ties with the new boundary.
    if (this.val[0] === min) this.keepTied(out, min)
    else this.tiedIdx = []
  }

  /** Every kept item, highest score first, ties by index: the k best plus the boundary's ties. */
  candidates(): Array<{index: number; score: number}> {
    const out: Array<{index: number; score: number}> = []
    for (let p = 0; p < this.size; p++) out.push({index: this.idx[p], score: this.val[p]})
    for (const i of this.tiedIdx) out.push({index: i, score: this.tiedAt})
    return out.sort((a, b) => b.score - a.score || a.index - b.index)
  }

  /** The k best, highest first, ties by index (the same as topKByScore over all the scores). */
  result(): Array<{index: number; score: number}> {
    return this.candidates().slice(0, this.idx.length)
  }

  private keepTied(i: number, score: number): void {
    if (this.tiedAt !== score) this.tiedIdx = []
    this.tiedAt = score
    this.tiedIdx.push(i)
  }

  private push(i: number, score: number): void {
    let pos = this.size++
    while (pos > 0) {
      const parent = (pos - 1) >> 1
      if (this.val[parent] <= score) break
      this.idx[pos] = this.idx[parent]
      this.val[pos] = this.val[parent]
      pos = parent
    }
    this.idx[pos] = i
    this.val[pos] = score
  }

  private replaceRoot(i: number, score: number): void {
    const n = this.size
    let pos = 0
    for (;;) {
      let child = 2 * pos + 1
      if (child >= n) break
      if (child + 1 < n && this.val[child + 1] < this.val[child]) child++
      if (this.val[child] >= score) break
      this.idx[pos] = this.idx[child]
      this.val[pos] = this.val[child]
      pos = child
    }
    this.idx[pos] = i
    this.val[pos] = score
  }
}
