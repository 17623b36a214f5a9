/** Token id 0 separates records; matches never cross it because outputs never contain it. */
export const SEPARATOR = 0
const TOKEN_RE = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu
const WORD_RE = /^[\p{L}\p{N}]/u
const SENTENCE_BREAKS = new Set(['.', '!', '?', ';'])

export type Tokenized = {tokens: string[]; starts: Int32Array; ends: Int32Array}

/** Words (lower-cased, NFKC) and single punctuation marks, with character offsets into `text`. */
export function tokenize(text: string): Tokenized {
  const tokens: string[] = []
  const starts: number[] = []
  const ends: number[] = []
  for (const m of text.matchAll(TOKEN_RE)) {
    tokens.push(m[0].normalize('NFKC').toLowerCase().replace(/’/g, "'"))
    starts.push(m.index)
    ends.push(m.index + m[0].length)
  }
  return {tokens, starts: Int32Array.from(starts), ends: Int32Array.from(ends)}
}

/** A word token (letters or digits first), as opposed to punctuation or the separator. */
export const isWordToken = (token: string): boolean => WORD_RE.test(token)

/** A token that ends a sentence: spans never cross one. */
export const isSentenceBreak = (token: string): boolean => SENTENCE_BREAKS.has(token)
