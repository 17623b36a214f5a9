/**
 * Proof of Attribution for an adapter artifact's generated text: the training records come from the
 * datanet version training.json names (verified against its Merkle root by src/datanet), in the
 * order the gradient store's rows were written, with the datanet's span index for span tracing.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {
  type GenerationAttribution,
  type GenerativeMethod,
  type GenerativeSelfInfluenceRecord,
  attributeGeneration,
  generativeSelfInfluenceReport,
} from '../attribution/generative/index.js'
import {spanIndexPath} from '../attribution/datanet-trace.js'
import {buildSpanIndex, type SpanIndex} from '../attribution/spans/span-index.js'
import {openSpanIndex, saveSpanIndex} from '../attribution/spans/span-index-file.js'
import type {RecordMeta} from '../attribution/types.js'
import {loadDatanetSource} from '../model/datanet-source.js'
import {TrainingDataError} from '../model/errors.js'
import {stateDir as defaultStateDir} from '../store/paths.js'
import {lmRecords} from './artifact.js'
import type {LmTrainingManifest} from './artifact-files.js'
import type {LoadedLm} from './complete.js'
import {type LmRecord, recordSpanText} from './data.js'

export type AdapterTrainingRecords = {
  manifest: LmTrainingManifest
  records: LmRecord[]
  recordMeta: RecordMeta[]
  version: number | 'draft'
  root: string
}

/** training.json of an adapter folder. */
export function readLmManifest(adapterDir: string): LmTrainingManifest {
  const path = join(adapterDir, 'training.json')
  if (!existsSync(path)) throw new TrainingDataError(`${path} is missing: the adapter's training records are unknown`)
  return JSON.parse(readFileSync(path, 'utf8')) as LmTrainingManifest
}

/**
 * The records the adapter was trained on, row for row as training.json lists them (and as the
 * gradient store holds them). A draft datanet that changed since training is refused: its rows
 * would no longer be the ones whose gradients were stored.
 */
export async function adapterTrainingRecords(adapterDir: string, opts: {stateDir?: string} = {}): Promise<AdapterTrainingRecords> {
  const manifest = readLmManifest(adapterDir)
  const d = manifest.datanet
  const source = await loadDatanetSource({
    name: d.name,
    version: d.version === 'draft' ? undefined : d.version,
    allowDraft: d.version === 'draft',
    stateDir: opts.stateDir,
  })
  const where = `datanet ${d.name} version ${source.version}`
  if (source.root.toLowerCase() !== d.root.toLowerCase())
    throw new TrainingDataError(`${where} has root ${source.root}, the adapter in ${adapterDir} was trained on ${d.root}`)
  const {records, lm} = lmRecords(source, new Set(manifest.excludedRecords.map((h) => h.toLowerCase())))
  const same =
    records.length === manifest.records.length &&
    records.every((r, i) => r.recordHash.toLowerCase() === manifest.records[i].recordHash.toLowerCase())
  if (!same)
    throw new TrainingDataError(
      `${where}: its records are not the ${manifest.records.length} listed in ${join(adapterDir, 'training.json')}`,
    )
  const recordMeta = records.map((r) => ({recordHash: r.recordHash, contributor: r.contributor, datanet: d.name}))
  return {manifest, records: lm, recordMeta, version: source.version, root: source.root}
}

/** The datanet version's span index over the adapter's records, built once per version and layout. */
function adapterSpanIndex(t: AdapterTrainingRecords, dir: string): SpanIndex & {close?: () => void} {
  const d = t.manifest.datanet
  const field = `lm-${t.manifest.format}-${t.records.length}`
  const path = spanIndexPath(dir, d.name, t.version, t.root.toLowerCase(), field)
  if (existsSync(path)) return openSpanIndex(path)
  const index = buildSpanIndex(t.records.map(recordSpanText), {
    records: t.recordMeta,
    info: {datanet: d.name, version: t.version, root: t.root, textField: field},
  })
  saveSpanIndex(path, index)
  return index
}

export type AttributeCompletionArgs = {
  adapterDir: string
  lm: LoadedLm
  prompt: string
  output: string
  topK?: number
  method?: GenerativeMethod
  modelId?: string
  stateDir?: string
}

/** Attributes one generated answer of a loaded adapter: gradient scores and span tracing in one receipt. */
export async function attributeCompletion(a: AttributeCompletionArgs): Promise<GenerationAttribution> {
  const dir = a.stateDir ?? defaultStateDir()
  const t = await adapterTrainingRecords(a.adapterDir, {stateDir: dir})
  const spanIndex = adapterSpanIndex(t, dir)
  try {
    return await attributeGeneration({
      artifactDir: a.adapterDir,
      model: a.lm.base.model,
      tokenizer: a.lm.base.tokenizer,
      baseSha256: t.manifest.base.sha256,
      records: t.records,
      recordMeta: t.recordMeta,
      prompt: a.prompt,
      output: a.output,
      topK: a.topK,
      method: a.method,
      spanIndex,
      modelId: a.modelId,
      cutoffLen: t.manifest.hyperparameters.cutoff_len,
      chat: a.lm.chat,
    })
  } finally {
    spanIndex.close?.()
  }
}

/** `attribute self-influence` for an adapter: every training record scored, highest first. */
export async function adapterSelfInfluence(
  adapterDir: string,
  opts: {method?: GenerativeMethod; stateDir?: string} = {},
): Promise<{manifest: LmTrainingManifest; records: GenerativeSelfInfluenceRecord[]}> {
  const t = await adapterTrainingRecords(adapterDir, opts)
  return {
    manifest: t.manifest,
    records: generativeSelfInfluenceReport({artifactDir: adapterDir, recordMeta: t.recordMeta, method: opts.method}),
  }
}
