/**
 * The models a server answers with: references (CID, name, folder) resolved once, one encoder per
 * encoder hash shared by every model trained with it (usually one), each model's weights loaded on
 * first use and evicted least-recently-used past `maxModels`. A model keeps only what answering
 * needs (see loadModel); its attribution state (the standardised training matrix and the factored
 * Hessian) is built on the first request that asks for attribution, with its own batcher.
 */
import {join} from 'node:path'

import type {AttributedPrediction, GradientMethod, ModelAttribution} from '../attribution/from-model.js'
import type {ChainSelection} from '../chain/context.js'
import {messageOf} from '../errors.js'
import {type ArtifactConfig, readArtifactJson} from '../model/artifact.js'
import type {DeviceRequest} from '../model/backend.js'
import {type Encoder, loadEncoder} from '../model/encoders/index.js'
import {type Model, loadModel, predictEmbeddings} from '../model/infer.js'
import {Workspace, headForward} from '../model/math.js'
import {type ResolvedModel, resolveModel} from '../publish/resolve.js'
import {type BatcherStats, MicroBatcher, type MicroBatcherOptions} from './batcher.js'
import {BadRequestError} from './errors.js'
import {type PredictedRow, attributeRows} from './flow.js'

export type ModelRegistryOptions = {
  stateDir?: string
  chain?: ChainSelection
  device?: DeviceRequest
  /** Models kept loaded at once. */
  maxModels: number
  /** Batching of encoder calls (texts of concurrent requests) and of attribution queries per model. */
  batch: MicroBatcherOptions
  method: GradientMethod
}

type AttributeItem = {row: PredictedRow; topK?: number}

export class LoadedModel {
  /** Set when the model was named by CID or name, or once it is paid for (its folder's CID). */
  cid?: string
  /** Scratch for `predict`, reused by every request (predictions run synchronously, one at a time). */
  private workspace?: Workspace
  private attribution?: Promise<{ma: ModelAttribution; batcher: MicroBatcher<AttributeItem, AttributedPrediction>}>

  constructor(
    readonly ref: ResolvedModel,
    readonly model: Model,
    readonly encode: MicroBatcher<string, Float32Array>,
    private readonly options: ModelRegistryOptions,
  ) {
    this.cid = ref.cid
  }

  /**
   * One request's prediction from its encoder output: predictEmbeddings' steps for one row (the
   * same standardisation and headForward, so the same bits as `infer`; test/serve/receipts.test.ts
   * compares them byte for byte), without its batch buffers: per request only the standardised row
   * attribution needs is allocated, the scratch is the model's.
   */
  predictRow(embedding: Float32Array, text: string): PredictedRow {
    const {weights, standardizer, config} = this.model
    const {D, C, r} = weights
    if (embedding.length !== D) {
      const out = predictEmbeddings(this.model, embedding)
      return {text, prediction: out.predictions[0], h: out.h}
    }
    const ws = (this.workspace ??= new Workspace(D, C, r))
    const {mean, scale} = standardizer
    const h = new Float32Array(D)
    for (let d = 0; d < D; d++) h[d] = (embedding[d] - mean[d]) * scale[d]
    headForward(weights, D, C, r, h, 0, ws.z, ws.hp, ws.logits, ws.p)
    let best = 0
    for (let c = 1; c < C; c++) if (ws.p[c] > ws.p[best]) best = c
    const probabilities: Record<string, number> = {}
    for (let c = 0; c < C; c++) probabilities[config.labels[c]] = ws.p[c]
    return {text, prediction: {label: config.labels[best], probabilities}, h}
  }

  /**
   * Attributes one predicted row, batched with the concurrent requests for this model. Receipts
   * name the model as `infer` does: by the CID it was asked for by, else by its weights hash, or by
   * the row's own `modelId` (a folder's CID, for a paid request).
   */
  async attribute(row: PredictedRow, topK?: number): Promise<AttributedPrediction> {
    if (!this.attribution) {
      const modelId = this.ref.cid
      this.attribution = (async () => {
        const {loadModelAttribution} = await import('../attribution/from-model.js')
        const ma = await loadModelAttribution(this.model, {stateDir: this.options.stateDir, ...(modelId ? {modelId} : {})})
        const batcher = new MicroBatcher<AttributeItem, AttributedPrediction>(
          (items) =>
            attributeRows(
              ma,
              items.map((it) => it.row),
              this.options.method,
              (i) => items[i].topK,
            ),
          this.options.batch,
        )
        return {ma, batcher}
      })()
      this.attribution.catch(() => (this.attribution = undefined))
    }
    const {batcher} = await this.attribution
    return batcher.add({row, topK})
  }

  /** Finishes queued attribution and frees its ONNX Runtime session. */
  async retire(): Promise<void> {
    const a = this.attribution
    this.attribution = undefined
    const state = await a?.catch(() => undefined)
    if (!state) return
    await state.batcher.close()
    await state.ma.matmul?.dispose()
  }
}

export class ModelRegistry {
  private readonly encoders = new Map<string, Promise<{encoder: Encoder; batcher: MicroBatcher<string, Float32Array>}>>()
  private readonly models = new Map<string, Promise<LoadedModel>>()
  private readonly refs = new Map<string, Promise<ResolvedModel>>()
  /** The references of `refs` that resolved, by the text they were given as. */
  private readonly resolved = new Map<string, ResolvedModel>()
  /** The most recently used model's key (the last in `models`). */
  private newest: string | undefined
  /** Every encoder batcher made, for the counters (kept after an encoder is freed). */
  private readonly batchers: MicroBatcher<string, Float32Array>[] = []
  evictions = 0

  constructor(private readonly options: ModelRegistryOptions) {}

  get size(): number {
    return this.models.size
  }

  /** The model a request names, loading it (and evicting the least recently used) if needed. */
  async get(refText: string): Promise<LoadedModel> {
    // A reference seen before is answered from memory, without waiting a turn for its promise.
    let ref = this.resolved.get(refText)
    if (!ref) {
      try {
        ref = await this.resolve(refText)
      } catch (err) {
        throw new BadRequestError(`"model": ${messageOf(err)}`, 'E_UNKNOWN_MODEL')
      }
    }
    const key = ref.path
    let p = this.models.get(key)
    if (p) {
      // Map order is the recency order: move to the end (unless it is there already).
      if (key !== this.newest) {
        this.models.delete(key)
        this.models.set(key, p)
        this.newest = key
      }
      return p
    }
    this.newest = key
    p = this.load(ref)
    this.models.set(key, p)
    p.catch(() => this.models.delete(key))
    while (this.models.size > this.options.maxModels) {
      const oldest = this.models.keys().next().value as string
      const evicted = this.models.get(oldest)!
      this.models.delete(oldest)
      this.evictions++
      void evicted.then((m) => m.retire()).catch(() => undefined)
    }
    return p
  }

  /** Encoder batching counters, summed over encoders. */
  encoderStats(): BatcherStats {
    const s: BatcherStats = {batches: 0, items: 0, largest: 0}
    for (const b of this.batchers) {
      s.batches += b.stats.batches
      s.items += b.stats.items
      s.largest = Math.max(s.largest, b.stats.largest)
    }
    return s
  }

  /** Finishes queued work, then frees the encoders and every model's attribution state. */
  async close(): Promise<void> {
    for (const m of this.models.values()) await (await m.catch(() => undefined))?.retire()
    for (const e of this.encoders.values()) {
      const loaded = await e.catch(() => undefined)
      if (!loaded) continue
      await loaded.batcher.close()
      await loaded.encoder.dispose()
    }
    this.encoders.clear()
    this.models.clear()
  }

  private resolve(ref: string): Promise<ResolvedModel> {
    let r = this.refs.get(ref)
    if (!r) {
      r = resolveModel(ref, {stateDir: this.options.stateDir, chain: this.options.chain ?? {}})
      this.refs.set(ref, r)
      r.then(
        (v) => this.resolved.set(ref, v),
        () => this.refs.delete(ref),
      )
    }
    return r
  }

  private async load(ref: ResolvedModel): Promise<LoadedModel> {
    let config: ArtifactConfig
    try {
      config = readArtifactJson<ArtifactConfig>(join(ref.path, 'config.json'), 'config')
    } catch (err) {
      throw new BadRequestError(`"model": ${messageOf(err)}`, 'E_UNKNOWN_MODEL')
    }
    const {encoder, batcher} = await this.encoderFor(config)
    const model = await loadModel(ref.path, {encoder})
    return new LoadedModel(ref, model, batcher, this.options)
  }

  private encoderFor(config: ArtifactConfig) {
    const hash = config.encoder.hash
    let e = this.encoders.get(hash)
    if (!e) {
      e = loadEncoder({encoder: config.encoder.spec, device: this.options.device, allowRemote: false}).then(({encoder}) => {
        const batcher = new MicroBatcher<string, Float32Array>(async (texts) => {
          const out = await encoder.encode(texts)
          const D = encoder.dim
          // Views, not copies: each batch's output is fresh, and a row lives as long as its request.
          return texts.map((_, i) => out.subarray(i * D, (i + 1) * D))
        }, this.options.batch)
        this.batchers.push(batcher)
        return {encoder, batcher}
      })
      this.encoders.set(hash, e)
      e.catch(() => this.encoders.delete(hash))
    }
    return e
  }
}
