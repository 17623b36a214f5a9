/**
 * Span tracing of a text output against a datanet's records (OLMoTrace-style, at word level), one
 * job per module under spans/: the tokenizer, the suffix-array index and its file, the longest-match
 * search, the span filters, embedding neighbours, rank fusion and the method dispatch.
 */
export * from './spans/tokenize.js'
export * from './spans/span-index.js'
export * from './spans/span-index-file.js'
export * from './spans/longest-match.js'
export * from './spans/trace-spans.js'
export * from './spans/embedding-index.js'
export * from './spans/fuse.js'
export * from './spans/trace-text.js'
export * from './spans/paged.js'
export * from './spans/vocabulary.js'
