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
