import {AttributionInputError} from '../errors.js'
import {buildLcpArray, buildSuffixArray} from '../suffix-array.js'
import type {RecordMeta} from '../types.js'
import {type IntColumn, memoryColumn} from './paged.js'
import {SEPARATOR, tokenize} from './tokenize.js'
import {memoryVocabulary, sortWords, type Vocabulary} from './vocabulary.js'

export {type IntColumn, memoryColumn} from './paged.js'

/**
 * Span tracing of a text output against a datanet's records (OLMoTrace-style, at word level):
 * records are tokenised into words and punctuation, concatenated with a separator token, and indexed
 * by a suffix array with its LCP array. For each word start of the output, the longest match in the
 * corpus is found by one binary search; spans that are long, rare and inside one sentence are kept,
 * at most a fixed fraction of the output length, and mapped back to the records that contain them.
 *
 * A datanet larger than a shard limit is split into shards: each a self-contained suffix array over
 * whole consecutive records (never a split record) with its own vocabulary. Queries run over every
 * shard and merge: the longest match is the longest of the shards', counts are summed.
 */
export type SpanShard = {
  /** Token ids of the shard's records joined by SEPARATOR, length n. */
  tokens: IntColumn
  /** Suffix array: the start of each suffix in sorted order (fixed-width pointers into tokens). */
  sa: IntColumn
  /** lcp[k]: longest common prefix of the suffixes at ranks k − 1 and k. */
  lcp: IntColumn
  /**
   * branch[k]: the token of suffix k just past that common prefix (where it sorts after suffix
   * k − 1). With lcp it lets a search walk a block of the suffix table reading the token array only
   * where the query's match grows.
   */
  branch: IntColumn
  /** Token offset of each record's first token; length records + 1 (prefix sums). */
  recordStarts: IntColumn
  /**
   * Every SAMPLE_STEP-th suffix (rank 0, S, 2S…): its start and first SAMPLE_KEY tokens (−2 past
   * the end), SAMPLE_WIDTH integers each. Kept in memory, it narrows a binary search to one block
   * of S ranks before anything is read from the file.
   */
  sample: Int32Array
  vocabulary: Vocabulary
  /** Index (in the whole datanet version) of the shard's first record. */
  recordBase: number
  /** Who is behind the shard's record i, when the index carries it. */
  recordMeta?: (i: number) => RecordMeta | undefined
}

export type SpanIndex = {
  shards: SpanShard[]
  /** Tokens over all shards (separators included): the denominator of unigram probabilities. */
  tokenCount: number
  recordCount: number
  /** Who is behind record i (of the whole version), when the index carries it. */
  recordMeta?: (i: number) => RecordMeta | undefined
  info?: Record<string, unknown>
}

export const SAMPLE_STEP = 256
export const SAMPLE_KEY = 8
export const SAMPLE_WIDTH = SAMPLE_KEY + 1
/** Marks a sampled key past the end of the token array: smaller than any token or unknown word (−1). */
export const PAST_END = -2

/**
 * Tokens per shard by default: 2^27 (about 680 MB of English text). Building a shard holds its
 * token array, suffix array, LCP array and SA-IS's working arrays, about 20 bytes per token (2.7 GB
 * at the limit); a query searches every shard, so fewer, larger shards answer sooner.
 */
export const DEFAULT_SHARD_TOKENS = 1 << 27

/** A shard built in memory, with the arrays that a shard file stores. */
export type BuiltShard = SpanShard & {
  arrays: {tokens: Int32Array; sa: Int32Array; lcp: Int32Array; branch: Int32Array; recordStarts: Int32Array; counts: Int32Array}
  /** The vocabulary in id order. */
  words: string[]
  records?: RecordMeta[]
}

/** A freshly built index, with the shards that `saveSpanIndex` stores. */
export type BuiltSpanIndex = Omit<SpanIndex, 'shards'> & {
  shards: BuiltShard[]
  records?: RecordMeta[]
  /** @deprecated the first shard's arrays (the whole index when it has one shard). */
  arrays: BuiltShard['arrays']
}

export type ShardingOptions = {
  /** Most tokens in a shard (a record larger than that is a shard of its own). Default 2^27. */
  shardTokens?: number
}

/**
 * Collects records into shards: each record is tokenised once, its words given provisional ids, and
 * the shard closes when the next record would take it past the limit. Only the current shard's
 * tokens are held; a closed shard is handed to `onShard` (to be written, or kept).
 */
export class ShardBuilder {
  private tokens = new Int32Array(1 << 16)
  private n = 0
  private starts: number[] = []
  private ids = new Map<string, number>()
  private words: string[] = []
  private metas: RecordMeta[] = []
  private recordBase = 0
  readonly limit: number

  constructor(
    private readonly onShard: (shard: BuiltShard) => void,
    opts: ShardingOptions = {},
  ) {
    this.limit = opts.shardTokens ?? DEFAULT_SHARD_TOKENS
    if (!(Number.isInteger(this.limit) && this.limit > 0 && this.limit < 2 ** 31))
      throw new AttributionInputError(`shard size ${this.limit} tokens is not a positive 32-bit integer`)
    this.reset()
  }

  private reset(): void {
    this.n = 0
    this.starts = []
    this.ids = new Map([['\u0000', SEPARATOR]])
    this.words = ['\u0000']
    this.metas = []
  }

  add(text: string, meta?: RecordMeta): void {
    const words = tokenize(text).tokens
    if (this.starts.length > 0 && this.n + words.length + 1 > this.limit) this.flush()
    if (this.n + words.length + 1 >= 2 ** 31) throw new AttributionInputError(`a record of ${words.length} tokens does not fit in a shard`)
    if (this.n + words.length + 1 > this.tokens.length) {
      // Doubling, but not past the shard limit (the last record may take it a little further).
      const grown = new Int32Array(Math.max(this.n + words.length + 1, Math.min(this.tokens.length * 2, this.limit)))
      grown.set(this.tokens.subarray(0, this.n))
      this.tokens = grown
    }
    this.starts.push(this.n)
    for (const w of words) {
      let id = this.ids.get(w)
      if (id === undefined) {
        id = this.words.length
        this.words.push(w)
        this.ids.set(w, id)
      }
      this.tokens[this.n++] = id
    }
    this.tokens[this.n++] = SEPARATOR
    if (meta) this.metas.push(meta)
  }

  /** Closes the last shard; an index of no records is one empty shard. */
  finish(): void {
    this.flush()
    if (this.recordBase === 0) this.onShard(buildShard(new Int32Array(0), ['\u0000'], new Int32Array(1), 0))
  }

  /** Closes the current shard, if it has any record. */
  flush(): void {
    const nr = this.starts.length
    if (nr === 0) return
    if (this.metas.length !== 0 && this.metas.length !== nr) throw new AttributionInputError('some records have metadata and some do not')
    const starts = Int32Array.from([...this.starts, this.n])
    const tokens = this.tokens.slice(0, this.n)
    // Let go of the grown buffer before the suffix array needs the memory.
    this.tokens = new Int32Array(1 << 16)
    const shard = buildShard(tokens, this.words, starts, this.recordBase, this.metas.length ? this.metas : undefined)
    this.recordBase += nr
    this.reset()
    this.onShard(shard)
  }
}

/**
 * Builds one shard from provisional token ids: the vocabulary is sorted (ids become ranks, so the
 * stored vocabulary can be binary-searched), the tokens renumbered, then SA-IS, Kasai's LCP, unigram
 * counts and the in-memory sample of the suffix array.
 */
function buildShard(
  tokens: Int32Array,
  provisional: string[],
  recordStarts: Int32Array,
  recordBase: number,
  records?: RecordMeta[],
): BuiltShard {
  const words = sortWords(provisional)
  const rank = new Map<string, number>()
  words.forEach((w, i) => rank.set(w, i))
  const renumber = Int32Array.from(provisional, (w) => rank.get(w) as number)
  for (let i = 0; i < tokens.length; i++) tokens[i] = renumber[tokens[i]]
  const sa = buildSuffixArray(tokens, words.length)
  const lcp = buildLcpArray(tokens, sa)
  const branch = branchTokens(tokens, sa, lcp)
  const counts = new Int32Array(words.length)
  for (let i = 0; i < tokens.length; i++) counts[tokens[i]]++
  const sample = sampleSuffixes(tokens, sa)
  return {
    tokens: memoryColumn(tokens),
    sa: memoryColumn(sa),
    lcp: memoryColumn(lcp),
    branch: memoryColumn(branch),
    recordStarts: memoryColumn(recordStarts),
    sample,
    vocabulary: memoryVocabulary(words, counts),
    recordBase,
    recordMeta: records ? (i) => records[i] : undefined,
    arrays: {tokens, sa, lcp, branch, recordStarts, counts},
    words,
    records,
  }
}

/**
 * branch[k] = tokens[sa[k] + lcp[k]] (0 at rank 0). Suffix k never ends at lcp[k]: it would then be
 * a prefix of suffix k − 1 and sort before it.
 */
export function branchTokens(tokens: Int32Array, sa: Int32Array, lcp: Int32Array, from = 0, to = sa.length): Int32Array {
  const out = new Int32Array(to - from)
  for (let k = Math.max(from, 1); k < to; k++) out[k - from] = tokens[sa[k] + lcp[k]]
  return out
}

function sampleSuffixes(tokens: Int32Array, sa: Int32Array): Int32Array {
  const n = sa.length
  const ns = Math.ceil(n / SAMPLE_STEP)
  const out = new Int32Array(ns * SAMPLE_WIDTH)
  for (let k = 0; k < ns; k++) {
    const s = sa[k * SAMPLE_STEP]
    const o = k * SAMPLE_WIDTH
    out[o] = s
    for (let d = 0; d < SAMPLE_KEY; d++) out[o + 1 + d] = s + d < n ? tokens[s + d] : PAST_END
  }
  return out
}

/** Builds the index of a datanet's record texts (in record order), in memory, sharded past `shardTokens`. */
export function buildSpanIndex(
  texts: string[],
  opts: ShardingOptions & {records?: RecordMeta[]; info?: Record<string, unknown>} = {},
): BuiltSpanIndex {
  if (opts.records && opts.records.length !== texts.length) {
    throw new AttributionInputError(`${texts.length} texts but ${opts.records.length} record entries`)
  }
  const shards: BuiltShard[] = []
  const builder = new ShardBuilder((s) => shards.push(s), opts)
  texts.forEach((t, i) => builder.add(t, opts.records?.[i]))
  builder.finish()
  return {...assembleIndex(shards, opts.info), shards, records: opts.records, arrays: shards[0].arrays}
}

/** The index over `shards` (in record order): totals and the record lookup across shards. */
export function assembleIndex(shards: SpanShard[], info?: Record<string, unknown>): SpanIndex {
  let tokenCount = 0
  for (const s of shards) tokenCount += s.tokens.length
  const last = shards.at(-1)
  const recordCount = last ? last.recordBase + last.recordStarts.length - 1 : 0
  const withMeta = shards.length > 0 && shards.every((s) => s.recordMeta)
  return {
    shards,
    tokenCount,
    recordCount,
    recordMeta: withMeta
      ? (i) => {
          const s = shardOfRecord(shards, i)
          return s ? s.recordMeta?.(i - s.recordBase) : undefined
        }
      : undefined,
    info,
  }
}

/** The shard holding record i of the whole version. */
function shardOfRecord(shards: SpanShard[], i: number): SpanShard | undefined {
  let lo = 0
  let hi = shards.length
  while (lo + 1 < hi) {
    const mid = (lo + hi) >> 1
    if (shards[mid].recordBase <= i) lo = mid
    else hi = mid
  }
  const s = shards[lo]
  return s && i >= s.recordBase && i < s.recordBase + s.recordStarts.length - 1 ? s : undefined
}

/** The shard's record containing its token position `pos` (binary search over the prefix sums). */
export function recordAt(shard: SpanShard, pos: number): number {
  const rs = shard.recordStarts
  let lo = 0
  let hi = rs.length - 1
  while (lo + 1 < hi) {
    const mid = (lo + hi) >> 1
    if (rs.get(mid) <= pos) lo = mid
    else hi = mid
  }
  return lo
}
