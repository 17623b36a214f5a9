import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {loadDatanetSource} from '../model/datanet-source.js'
import {loadEncoder} from '../model/encoders/index.js'
import {encodeRecords} from '../model/train.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {AttributionInputError} from './errors.js'
import {buildSpanIndex, createEmbeddingIndex, loadSpanIndex, saveSpanIndex, traceText} from './spans.js'
import type {RecordMeta} from './types.js'

export type TraceMethod = 'spans' | 'embedding' | 'hybrid'

export type TraceOutputParameters = {
  datanet: string
  version?: number
  text: string
  method?: TraceMethod
  topK?: number
  /** The field holding each record's text. Default `text`. */
  textField?: string
  stateDir?: string
  /** Trace against the unpublished draft when the datanet has no published version. */
  allowDraft?: boolean
}

export type TraceOutputResult = {
  datanet: string
  version: number | 'draft'
  method: TraceMethod
  spans: Array<{text: string; start: number; end: number; words: number; count: number; records: Array<{recordHash: string; contributor: string}>}>
  records: Array<{recordHash: string; contributor: string; score: number}>
  index: {path: string; built: boolean}
}

/** Where a datanet version's suffix-array index lives: built once per (immutable) version. */
export const spanIndexPath = (dir: string, datanet: string, version: number | 'draft', root: string) =>
  join(dir, 'indexes', datanet, `v${version}-${root.slice(2, 14)}.olsa`)

/**
 * Traces a text output back to a datanet version's records: verbatim spans through a suffix array
 * (OLMoTrace-style filters), the nearest records by embedding (catches paraphrase), or both fused
 * (`hybrid`: reciprocal-rank fusion of the two rankings).
 */
export async function traceOutput(p: TraceOutputParameters): Promise<TraceOutputResult> {
  if (p.text.trim() === '') throw new AttributionInputError('--text is empty: nothing to trace')
  const dir = p.stateDir ?? defaultStateDir()
  const method = p.method ?? 'spans'
  const field = p.textField ?? 'text'
  const source = await loadDatanetSource({name: p.datanet, version: p.version, stateDir: dir, allowDraft: p.allowDraft})
  const texts: string[] = []
  const metas: RecordMeta[] = []
  for (const r of source.records) {
    const t = r.fields[field]
    if (typeof t !== 'string') continue
    texts.push(t)
    metas.push({recordHash: r.recordHash, contributor: r.contributor, datanet: p.datanet})
  }
  if (texts.length === 0) throw new AttributionInputError(`datanet ${p.datanet} has no "${field}" texts to trace against`)

  const path = spanIndexPath(dir, p.datanet, source.version, source.root)
  const built = !existsSync(path)
  const index = built ? buildSpanIndex(texts, {records: metas, info: {datanet: p.datanet, version: source.version, root: source.root}}) : loadSpanIndex(path)
  if (built) saveSpanIndex(path, index)

  let embeddings
  let vector
  if (method !== 'spans') {
    const {encoder} = await loadEncoder({encoder: 'builtin', device: 'cpu'})
    try {
      const enc = await encodeRecords(encoder, metas.map((m) => m.recordHash), texts, {textField: field})
      embeddings = createEmbeddingIndex(enc.vectors, texts.length, encoder.dim)
      vector = await encoder.encode([p.text])
    } finally {
      await encoder.dispose()
    }
  }
  const trace = traceText(index, p.text, {method, embeddings, vector, topK: p.topK ?? 20})
  const meta = (i: number) => ({recordHash: metas[i].recordHash, contributor: metas[i].contributor})
  return {
    datanet: p.datanet,
    version: source.version,
    method,
    spans: trace.spans.map((s) => ({text: s.text, start: s.start, end: s.end, words: s.words, count: s.count, records: s.records.map(meta)})),
    records: trace.records.slice(0, p.topK ?? 20).map((r) => ({...meta(r.index), score: r.score})),
    index: {path, built},
  }
}
