import type {IntColumn} from './paged.js'

/**
 * A shard's vocabulary, sorted by UTF-8 bytes so that a token's id is its rank: a word is found by
 * binary search over the stored words, read by position, and nothing of size O(vocabulary) has to
 * be resident for queries.
 */
export type Vocabulary = {
  readonly size: number
  /** The id of `word`, or −1 when the shard has no such token. */
  idOf(word: string): number
  /** Corpus count of token `id` in the shard. */
  count(id: number): number
}

/** Byte order of UTF-8 (code point order): the order ids follow, in memory and on disk alike. */
export function sortWords(words: string[]): string[] {
  const keyed = words.map((w) => ({w, b: Buffer.from(w, 'utf8')}))
  keyed.sort((a, b) => Buffer.compare(a.b, b.b))
  return keyed.map((k) => k.w)
}

/** The vocabulary of an index built in memory. */
export function memoryVocabulary(words: string[], counts: Int32Array): Vocabulary {
  const ids = new Map<string, number>()
  words.forEach((w, i) => ids.set(w, i))
  return {size: words.length, idOf: (w) => ids.get(w) ?? -1, count: (id) => counts[id]}
}

/**
 * The stored vocabulary: the words' bytes back to back, an offsets column (size + 1) and a counts
 * column, all read by position. A lookup compares the query's bytes with the middle word's bytes,
 * about log2(size) times, the last ten or so inside one offsets page.
 */
export function pagedVocabulary(bytes: IntColumn, offsets: IntColumn, counts: IntColumn): Vocabulary {
  const size = counts.length
  /** Sign of (stored word `id`) − `key`, bytewise. */
  const compare = (id: number, key: Uint8Array): number => {
    const a = offsets.get(id)
    const len = offsets.get(id + 1) - a
    const n = Math.min(len, key.length)
    for (let d = 0; d < n; d++) {
      const c = bytes.get(a + d) - key[d]
      if (c !== 0) return c
    }
    return len - key.length
  }
  return {
    size,
    idOf(word) {
      const key = Buffer.from(word, 'utf8')
      let lo = 0
      let hi = size
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        const c = compare(mid, key)
        if (c === 0) return mid
        if (c < 0) lo = mid + 1
        else hi = mid
      }
      return -1
    },
    count: (id) => counts.get(id),
  }
}
