import {AttributionInputError} from '../errors.js'
import {embeddingNeighbours, type EmbeddingIndex} from './embedding-index.js'
import {fuseRankings} from './fuse.js'
import type {SpanIndex} from './span-index.js'
import {tokenize} from './tokenize.js'
import {traceSpans, withMeta, type SpanOptions, type SpanTrace} from './trace-spans.js'

export type TextTraceOptions = SpanOptions & {
  method?: 'spans' | 'embedding' | 'hybrid'
  embeddings?: EmbeddingIndex
  /** The encoder's vector of the output text (embedding and hybrid). */
  vector?: Float32Array
  topK?: number
}

/** Traces a text output by spans, by embedding neighbours, or both fused. */
export function traceText(idx: SpanIndex, text: string, opts: TextTraceOptions = {}): SpanTrace {
  const method = opts.method ?? 'spans'
  const topK = opts.topK ?? 20
  if (text.trim() === '') throw new AttributionInputError('the text to trace is empty')
  if (method === 'spans') return traceSpans(idx, text, opts)
  if (!opts.embeddings || !opts.vector)
    throw new AttributionInputError(`--method ${method} needs the records' vectors and the output's vector`)
  const nb = embeddingNeighbours(opts.embeddings, opts.vector, topK)
  if (method === 'embedding') {
    return {spans: [], records: nb.map((r) => withMeta(idx, r.index, r.score)), outputWords: tokenize(text).tokens.length}
  }
  const sp = traceSpans(idx, text, opts)
  const fused = fuseRankings([sp.records, nb]).slice(0, topK)
  return {spans: sp.spans, records: fused.map((r) => withMeta(idx, r.index, r.score)), outputWords: sp.outputWords}
}
