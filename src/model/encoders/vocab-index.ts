/**
 * A vocabulary file (one word a line) looked up without first building a Map of all its words:
 * that Map (40,000 strings for the built-in encoder) cost more than everything else `infer --text`
 * does before ONNX Runtime (npm run bench -- cli). Instead the words' byte ranges in the file are
 * kept sorted (bytewise), and a word is found by binary search over the file's own bytes. The sorted
 * ranges are computed once per vocabulary and cached, keyed by the encoder's content hash; words
 * already looked up are remembered, so tokenising a large datanet costs a Map lookup per token, as
 * before.
 *
 * Ids are those of `vocab.split('\n').filter(w => w !== '')`: the line's place among non-empty lines,
 * from 1, and a word listed twice keeps its last place (as `new Map(entries)` would).
 */
import {readFileSync} from 'node:fs'

import {writeFileAtomic} from '../../store/atomic.js'

const MAGIC = 0x58564c4f // "OLVX"
const VERSION = 1
const HEADER_WORDS = 4

export class VocabIndex {
  private readonly seen = new Map<string, number | undefined>()

  private constructor(
    private readonly text: Buffer,
    /** Byte offset and length of each distinct word in `text`, sorted by the word's bytes, and its id. */
    private readonly starts: Int32Array,
    private readonly lengths: Int32Array,
    private readonly ids: Int32Array,
  ) {}

  /** Indexes the vocabulary text (UTF-8, one word a line). */
  static fromText(text: Buffer): VocabIndex {
    const last = new Map<string, [start: number, length: number, id: number]>()
    let id = 0
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf(10, start)
      if (end < 0) end = text.length
      if (end > start) last.set(text.toString('utf8', start, end), [start, end - start, ++id])
      start = end + 1
    }
    const entries = [...last.values()].sort((a, b) => text.compare(text, b[0], b[0] + b[1], a[0], a[0] + a[1]))
    return new VocabIndex(
      text,
      Int32Array.from(entries, (e) => e[0]),
      Int32Array.from(entries, (e) => e[1]),
      Int32Array.from(entries, (e) => e[2]),
    )
  }

  /**
   * The index of the vocabulary file, from `cacheFile` when it holds one for this text, else built
   * and written there (a failed write only means building it again next time).
   */
  static open(vocabFile: string, cacheFile: string): VocabIndex {
    const text = readFileSync(vocabFile)
    const cached = VocabIndex.fromCache(text, cacheFile)
    if (cached) return cached
    const index = VocabIndex.fromText(text)
    try {
      writeFileAtomic(cacheFile, index.serialize())
    } catch {}
    return index
  }

  private static fromCache(text: Buffer, cacheFile: string): VocabIndex | undefined {
    let bytes: Buffer
    try {
      bytes = readFileSync(cacheFile)
    } catch {
      return undefined
    }
    if (bytes.length < HEADER_WORDS * 4 || bytes.length % 4 !== 0) return undefined
    // A small file may come back inside Node's shared pool, not 4-byte aligned: copy it out then.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes)
    const words = new Int32Array(aligned.buffer, aligned.byteOffset, bytes.length / 4)
    const [magic, version, n, textLength] = words
    if (magic !== MAGIC || version !== VERSION || textLength !== text.length || words.length !== HEADER_WORDS + 3 * n) return undefined
    const at = (k: number) => words.subarray(HEADER_WORDS + k * n, HEADER_WORDS + (k + 1) * n)
    return new VocabIndex(text, at(0), at(1), at(2))
  }

  serialize(): Uint8Array {
    const n = this.ids.length
    const out = new Int32Array(HEADER_WORDS + 3 * n)
    out.set([MAGIC, VERSION, n, this.text.length])
    out.set(this.starts, HEADER_WORDS)
    out.set(this.lengths, HEADER_WORDS + n)
    out.set(this.ids, HEADER_WORDS + 2 * n)
    return new Uint8Array(out.buffer)
  }

  /** The word's id, or undefined when it is not in the vocabulary. */
  id(word: string): number | undefined {
    if (this.seen.has(word)) return this.seen.get(word)
    const key = Buffer.from(word, 'utf8')
    let lo = 0
    let hi = this.ids.length - 1
    let found: number | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const c = key.compare(this.text, this.starts[mid], this.starts[mid] + this.lengths[mid])
      if (c === 0) {
        found = this.ids[mid]
        break
      }
      if (c < 0) hi = mid - 1
      else lo = mid + 1
    }
    this.seen.set(word, found)
    return found
  }
}
