import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {DatanetStore} from '../datanet/store.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {AttributionInputError, SpanIndexError} from './errors.js'
import {createEmbeddingIndex} from './spans/embedding-index.js'
import type {SpanIndex} from './spans/span-index.js'
import {openSpanIndex, SpanIndexWriter} from './spans/span-index-file.js'
import type {SpanTrace} from './spans/trace-spans.js'
import {traceText} from './spans/trace-text.js'
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
  spans: Array<{
    text: string
    start: number
    end: number
    words: number
    count: number
    records: Array<{recordHash: string; contributor: string}>
  }>
  records: Array<{recordHash: string; contributor: string; score: number}>
  index: {path: string; built: boolean}
}

/**
 * Where a datanet version's span index lives (its manifest; the shard files sit beside it): built
 * once per (immutable) version and text field.
 */
export const spanIndexPath = (dir: string, datanet: string, version: number | 'draft', root: string, textField = 'text') =>
  join(dir, 'indexes', datanet, `v${version}-${root.slice(2, 14)}-${textField.replace(/[^A-Za-z0-9_-]/g, '_')}.spans.json`)

/**
 * Traces a text output back to a datanet version's records: verbatim spans through a suffix array
 * (OLMoTrace-style filters), the nearest records by embedding (catches paraphrase), or both fused
 * (`hybrid`: reciprocal-rank fusion of the two rankings).
 *
 * A published version whose index is already built is traced from the index alone: the version's
 * root comes from the datanet manifest, and the index (built from records verified against that
 * root, and named by it) is read by position, so neither the records nor the whole index are read.
 */
export async function traceOutput(p: TraceOutputParameters): Promise<TraceOutputResult> {
  if (p.text.trim() === '') throw new AttributionInputError('--text is empty: nothing to trace')
  const dir = p.stateDir ?? defaultStateDir()
  const method = p.method ?? 'spans'
  const field = p.textField ?? 'text'
  const topK = p.topK ?? 20
  if (method === 'spans' && !p.allowDraft) {
    const info = publishedVersionInfo(p.datanet, dir, p.version)
    const path = info && spanIndexPath(dir, p.datanet, info.version, info.root.toLowerCase(), field)
    if (info && path && existsSync(path)) {
      const index = openSpanIndex(path)
      try {
        return traceResult(p.datanet, info.version, method, traceText(index, p.text, {method, topK}), index, topK, {path, built: false})
      } finally {
        index.close()
      }
    }
  }
  const {loadDatanetSource} = await import('../model/datanet-source.js')
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

  const path = spanIndexPath(dir, p.datanet, source.version, source.root.toLowerCase(), field)
  const built = !existsSync(path)
  if (built) {
    // Streamed shard by shard: building holds one shard's arrays, whatever the datanet's size.
    const writer = new SpanIndexWriter(path, {info: {datanet: p.datanet, version: source.version, root: source.root, textField: field}})
    texts.forEach((t, i) => writer.add(t, metas[i]))
    writer.finish()
  }
  const index = openSpanIndex(path)
  try {
    let embeddings
    let vector
    if (method !== 'spans') {
      const [{loadEncoder}, {encodeRecords}] = await Promise.all([import('../model/encoders/index.js'), import('../model/train.js')])
      const {encoder} = await loadEncoder({encoder: 'builtin', device: 'cpu'})
      try {
        const enc = await encodeRecords(
          encoder,
          metas.map((m) => m.recordHash),
          texts,
          {textField: field},
        )
        embeddings = createEmbeddingIndex(enc.vectors, texts.length, encoder.dim)
        vector = await encoder.encode([p.text])
      } finally {
        await encoder.dispose()
      }
    }
    const trace = traceText(index, p.text, {method, embeddings, vector, topK})
    return traceResult(p.datanet, source.version, method, trace, {recordMeta: (i) => metas[i]}, topK, {path, built})
  } finally {
    index.close()
  }
}

/** The manifest's entry for a published version; undefined when there is none (the full path says why). */
function publishedVersionInfo(datanet: string, dir: string, version?: number): {version: number; root: string} | undefined {
  try {
    const store = new DatanetStore(datanet, dir)
    return store.versionInfo(store.readManifest(), version)
  } catch {
    return undefined
  }
}

function traceResult(
  datanet: string,
  version: number | 'draft',
  method: TraceMethod,
  trace: SpanTrace,
  index: Pick<SpanIndex, 'recordMeta'>,
  topK: number,
  where: {path: string; built: boolean},
): TraceOutputResult {
  const meta = (i: number) => {
    const m = index.recordMeta?.(i)
    if (!m) throw new SpanIndexError(`${where.path} has no record ${i}`)
    return {recordHash: m.recordHash, contributor: m.contributor}
  }
  return {
    datanet,
    version,
    method,
    spans: trace.spans.map((s) => ({
      text: s.text,
      start: s.start,
      end: s.end,
      words: s.words,
      count: s.count,
      records: s.records.map(meta),
    })),
    records: trace.records.slice(0, topK).map((r) => ({...meta(r.index), score: r.score})),
    index: where,
  }
}
