/**
 * Per-record LoRA gradients, computed once after training and stored in the project's safetensors
 * container: one tensor `<checkpoint>/<PEFT name>` of shape [records, d] per checkpoint and LoRA
 * tensor (row i = training record i, read by position), and `__metadata__` naming what they belong
 * to (key, version, base sha256, the adapters' sha256, projection, learning rates).
 */
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'

import {
  type LlamaModel,
  type LmExample,
  type LoraAdapter,
  type LoraConfig,
  disposeLora,
  exampleLoraGradients,
  loraFromPeft,
  readSafetensorsF32,
} from '../../lm/index.js'
import {decodeSafetensors, encodeSafetensors, type Tensor} from '../../model/safetensors.js'
import {writeFileAtomic} from '../../store/atomic.js'
import {AttributionInputError} from '../index.js'
import {GradientStoreError} from './errors.js'
import {type Projection, projectLayer, projectedDim} from './projection.js'
import type {GradientSet, QueryGradient} from './scores.js'

export const GRADIENT_STORE_KEY = 'openledger.lm-gradients'
export const GRADIENT_STORE_VERSION = 1
export const GRADIENT_STORE_FILE = 'lm-gradients.safetensors'

/** A checkpoint whose gradients are stored: its adapter file and the learning rate of its epoch. */
export type StoredCheckpoint = {name: string; lr: number; adapter: string; adapterSha256: string}

export type GradientStoreMeta = {
  baseSha256: string
  loraConfig: LoraConfig
  /** Stored checkpoints, oldest first; `answering` names the one that serves (DataInf's). */
  checkpoints: StoredCheckpoint[]
  answering: string
  projection?: Projection
  /** PEFT tensor names in stored order, with their width before projection. */
  layers: Array<{name: string; dim: number}>
  records: number
  /** sha256 over the training records' hashes in order, when the caller gave them. */
  recordsSha256?: string
}

/** `losses`: per checkpoint, each record's mean token loss (the self-influence baseline). */
export type GradientStore = {meta: GradientStoreMeta; sets: Map<string, GradientSet>; losses: Map<string, Float32Array>}

const LOSS_TENSOR = '__loss__'

export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

export function recordsSha256(recordHashes: string[]): string {
  return createHash('sha256').update(recordHashes.join('\n')).digest('hex')
}

export function loadAdapter(model: LlamaModel, file: string, config: LoraConfig): LoraAdapter {
  if (!existsSync(file)) throw new AttributionInputError(`${file} is missing (an adapter the gradient store refers to)`)
  return loraFromPeft(readSafetensorsF32(file), model.config, config, {trainable: true, source: file})
}

/** Gradients of each example's mean token loss under one adapter, projected layer by layer. */
export async function projectedGradients(
  model: LlamaModel,
  adapter: LoraAdapter,
  examples: LmExample[],
  projection?: Projection,
): Promise<{names: string[]; dims: number[]; grads: QueryGradient[]; losses: number[]}> {
  const out: QueryGradient[] = []
  const losses: number[] = []
  let names: string[] = []
  let dims: number[] = []
  // A few examples at a time, so unprojected gradients of a whole datanet never sit in memory.
  for (let s = 0; s < examples.length; s += 16) {
    for (const g of await exampleLoraGradients(model, adapter, examples.slice(s, s + 16))) {
      if (names.length === 0) {
        names = Object.keys(g.grads).sort()
        dims = names.map((k) => g.grads[k].length)
      }
      // The gradient of the mean token loss (as PEFT/Transformers train and DataInf scores): with the
      // summed loss, long records would dominate every score by length alone.
      const scale = 1 / Math.max(1, g.tokens)
      out.push(
        names.map((k) =>
          projectLayer(
            projection,
            k,
            g.grads[k].map((x) => x * scale),
          ),
        ),
      )
      losses.push(g.loss * scale)
    }
  }
  return {names, dims, grads: out, losses}
}

export type ComputeGradientStoreArgs = {
  model: LlamaModel
  /** The training examples, in training order (row i of every stored tensor). */
  examples: LmExample[]
  /** Adapter files (PEFT-named safetensors), oldest checkpoint first, with the learning rate of the epoch that ended there. */
  checkpoints: Array<{name: string; adapter: string; lr: number}>
  /** Which checkpoint answers queries (DataInf uses its gradients); default the last. */
  answering?: string
  /** The adapters' LoRA settings (the training result's `loraConfig`). */
  loraConfig: LoraConfig
  baseSha256: string
  projection?: Projection
  recordHashes?: string[]
}

/** Computes every record's gradient under every checkpoint (one forward/backward per record each). */
export async function computeGradientStore(a: ComputeGradientStoreArgs): Promise<GradientStore> {
  if (a.examples.length === 0) throw new AttributionInputError('no training records to compute gradients for')
  if (a.checkpoints.length === 0) throw new AttributionInputError('no checkpoint adapters to compute gradients under')
  if (a.projection && !(Number.isInteger(a.projection.dim) && a.projection.dim > 0))
    throw new AttributionInputError(`projection dimension must be a positive integer, got ${a.projection.dim}`)
  if (a.recordHashes && a.recordHashes.length !== a.examples.length)
    throw new AttributionInputError(`${a.recordHashes.length} record hashes for ${a.examples.length} examples`)
  const loraConfig = a.loraConfig
  const sets = new Map<string, GradientSet>()
  const losses = new Map<string, Float32Array>()
  let layers: Array<{name: string; dim: number}> = []
  const stored: StoredCheckpoint[] = []
  for (const c of a.checkpoints) {
    const adapter = loadAdapter(a.model, c.adapter, loraConfig)
    let got: Awaited<ReturnType<typeof projectedGradients>>
    try {
      got = await projectedGradients(a.model, adapter, a.examples, a.projection)
    } finally {
      disposeLora(adapter)
    }
    const {names, dims, grads} = got
    losses.set(c.name, Float32Array.from(got.losses))
    layers = names.map((name, j) => ({name, dim: dims[j]}))
    const n = a.examples.length
    sets.set(c.name, {
      records: n,
      layers: names.map((name, j) => {
        const k = projectedDim(a.projection, dims[j])
        const rows = new Float32Array(n * k)
        grads.forEach((g, i) => rows.set(g[j], i * k))
        return {name, dim: k, rows}
      }),
    })
    stored.push({name: c.name, lr: c.lr, adapter: c.adapter, adapterSha256: fileSha256(c.adapter)})
  }
  const answering = a.answering ?? a.checkpoints[a.checkpoints.length - 1].name
  if (!sets.has(answering)) throw new AttributionInputError(`answering checkpoint ${answering} is not among the checkpoints given`)
  return {
    meta: {
      baseSha256: a.baseSha256,
      loraConfig,
      checkpoints: stored,
      answering,
      ...(a.projection ? {projection: a.projection} : {}),
      layers,
      records: a.examples.length,
      ...(a.recordHashes ? {recordsSha256: recordsSha256(a.recordHashes)} : {}),
    },
    sets,
    losses,
  }
}

/** Writes the store whole; adapter paths are kept relative to the store's folder. */
export function writeGradientStore(path: string, store: GradientStore): void {
  const tensors: Record<string, Tensor> = {}
  for (const [name, set] of store.sets)
    for (const l of set.layers) tensors[`${name}/${l.name}`] = {shape: [set.records, l.dim], data: l.rows}
  for (const [name, loss] of store.losses) tensors[`${name}/${LOSS_TENSOR}`] = {shape: [loss.length], data: loss}
  const m = store.meta
  const checkpoints = m.checkpoints.map((c) => ({...c, adapter: relative(dirname(path), c.adapter)}))
  writeFileAtomic(
    path,
    encodeSafetensors(tensors, {
      'openledger.key': GRADIENT_STORE_KEY,
      'openledger.version': String(GRADIENT_STORE_VERSION),
      'openledger.base_sha256': m.baseSha256,
      'openledger.adapter_sha256': m.checkpoints.find((c) => c.name === m.answering)?.adapterSha256 ?? '',
      'openledger.lora': JSON.stringify(m.loraConfig),
      'openledger.checkpoints': JSON.stringify(checkpoints),
      'openledger.answering': m.answering,
      'openledger.projection': m.projection ? JSON.stringify(m.projection) : 'none',
      'openledger.layers': JSON.stringify(m.layers),
      'openledger.records': String(m.records),
      ...(m.recordsSha256 ? {'openledger.records_sha256': m.recordsSha256} : {}),
    }),
  )
}

/** Reads a store; a file of another kind or version, or damaged, is one line naming it. */
export function readGradientStore(path: string): GradientStore {
  if (!existsSync(path)) throw new GradientStoreError(`no stored gradients at ${path}`)
  let decoded: ReturnType<typeof decodeSafetensors>
  try {
    decoded = decodeSafetensors(new Uint8Array(readFileSync(path)))
  } catch (err) {
    throw new GradientStoreError(`${path} is not a readable safetensors file (${(err as Error).message})`, {cause: err})
  }
  const md = decoded.metadata ?? {}
  if (md['openledger.key'] !== GRADIENT_STORE_KEY)
    throw new GradientStoreError(`${path} is not a gradient store (metadata key ${JSON.stringify(md['openledger.key'])})`)
  if (md['openledger.version'] !== String(GRADIENT_STORE_VERSION))
    throw new GradientStoreError(
      `${path} has gradient store format ${md['openledger.version']}, this version reads ${GRADIENT_STORE_VERSION}`,
    )
  try {
    const records = Number(md['openledger.records'])
    const layers = JSON.parse(md['openledger.layers']) as Array<{name: string; dim: number}>
    const checkpoints = (JSON.parse(md['openledger.checkpoints']) as StoredCheckpoint[]).map((c) => ({
      ...c,
      adapter: join(dirname(path), c.adapter),
    }))
    const sets = new Map<string, GradientSet>()
    const losses = new Map<string, Float32Array>()
    for (const c of checkpoints) {
      const loss = decoded.tensors[`${c.name}/${LOSS_TENSOR}`]
      if (loss) losses.set(c.name, loss.data)
      sets.set(c.name, {
        records,
        layers: layers.map((l) => {
          const t = decoded.tensors[`${c.name}/${l.name}`]
          if (!t || t.shape[0] !== records) throw new Error(`tensor ${c.name}/${l.name} is missing or not ${records} rows`)
          return {name: l.name, dim: t.shape[1], rows: t.data}
        }),
      })
    }
    const projection = md['openledger.projection'] === 'none' ? undefined : (JSON.parse(md['openledger.projection']) as Projection)
    return {
      meta: {
        baseSha256: md['openledger.base_sha256'],
        loraConfig: JSON.parse(md['openledger.lora']) as LoraConfig,
        checkpoints,
        answering: md['openledger.answering'],
        ...(projection ? {projection} : {}),
        layers,
        records,
        ...(md['openledger.records_sha256'] ? {recordsSha256: md['openledger.records_sha256']} : {}),
      },
      sets,
      losses,
    }
  } catch (err) {
    if (err instanceof GradientStoreError) throw err
    throw new GradientStoreError(`${path} is damaged (${(err as Error).message})`, {cause: err})
  }
}
