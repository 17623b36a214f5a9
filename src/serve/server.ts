/**
 * The inference server: node:http, one encoder per encoder hash shared by every model (usually
 * one), each model's adapter and head loaded on first use and evicted least-recently-used past
 * `maxModels`, concurrent requests batched through the encoder, JSON errors (400 for a bad body or
 * an unknown model), and a graceful close that finishes the requests in flight.
 */
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import type {GradientMethod, ModelAttribution} from '../attribution/from-model.js'
import {type ChainSelection, type SignerContext, resolveSigner} from '../chain/context.js'
import {OpenledgerError, messageOf} from '../errors.js'
import {type ArtifactConfig, readArtifactJson} from '../model/artifact.js'
import type {DeviceRequest} from '../model/backend.js'
import {type Encoder, loadEncoder} from '../model/encoders/index.js'
import {type Model, loadModel, predictEmbeddings} from '../model/infer.js'
import {folderCid} from '../publish/cid.js'
import {DEFAULT_INFERENCE_FEE, modelIdForCid} from '../publish/pay.js'
import {type ResolvedModel, resolveModel} from '../publish/resolve.js'
import {EncodeBatcher} from './batcher.js'
import {attributeRow} from './inference.js'
import {PayBatcher} from './pay-batcher.js'

export type InferenceServerOptions = {
  stateDir?: string
  /** Models kept loaded at once (LRU). Default 32. */
  maxModels?: number
  /** How long a batch waits for more requests, in ms. Default 2. */
  batchWindowMs?: number
  /** Largest encoder batch. Default 64. */
  maxBatch?: number
  device?: DeviceRequest
  /** Attribution method for "attribute": true. Default if. */
  method?: GradientMethod
  /** Chain and signer for "pay": true. */
  chain?: ChainSelection
  /** Fee per paid request, wei. */
  fee?: bigint
  /** Largest request body, bytes. Default 1 MiB. */
  maxBodyBytes?: number
}

type Loaded = {key: string; ref: ResolvedModel; model: Model; batcher: EncodeBatcher; attribution?: Promise<ModelAttribution>; cid?: string}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export type InferenceServer = {
  server: Server
  listen(port?: number, host?: string): Promise<{port: number; url: string}>
  /** Stops accepting, finishes requests in flight, frees encoders. */
  close(): Promise<void>
  /** Loads models ahead of the first request. */
  preload(refs: string[]): Promise<void>
  stats(): {loaded: number; requests: number; batches: number; texts: number; maxBatch: number; evictions: number; settlements: number; settled: number}
}

export function createInferenceServer(options: InferenceServerOptions = {}): InferenceServer {
  const maxModels = options.maxModels ?? 32
  const encoders = new Map<string, Promise<{encoder: Encoder; batcher: EncodeBatcher}>>()
  const models = new Map<string, Promise<Loaded>>()
  const refs = new Map<string, Promise<ResolvedModel>>()
  let requests = 0
  let evictions = 0
  let inFlight = 0
  let closing = false
  let signer: Promise<SignerContext> | undefined
  // Paid requests are settled on-chain in batches (settleBatch), not one transaction each.
  const payments = new PayBatcher(() => (signer ??= resolveSigner({...options.chain, stateDir: options.stateDir})), {stateDir: options.stateDir})
  const batchers: EncodeBatcher[] = []

  async function encoderFor(config: ArtifactConfig) {
    let e = encoders.get(config.encoder.hash)
    if (!e) {
      e = loadEncoder({encoder: config.encoder.spec, device: options.device, allowRemote: false}).then(({encoder}) => {
        const batcher = new EncodeBatcher(encoder, {windowMs: options.batchWindowMs ?? 2, maxBatch: options.maxBatch ?? 64})
        batchers.push(batcher)
        return {encoder, batcher}
      })
      encoders.set(config.encoder.hash, e)
      e.catch(() => encoders.delete(config.encoder.hash))
    }
    return e
  }

  function resolveRef(ref: string): Promise<ResolvedModel> {
    let r = refs.get(ref)
    if (!r) {
      r = resolveModel(ref, {stateDir: options.stateDir, chain: options.chain ?? {}})
      refs.set(ref, r)
      r.catch(() => refs.delete(ref))
    }
    return r
  }

  async function modelFor(refText: string): Promise<Loaded> {
    let ref: ResolvedModel
    try {
      ref = await resolveRef(refText)
    } catch (err) {
      throw new HttpError(400, 'E_UNKNOWN_MODEL', messageOf(err))
    }
    const key = ref.path
    let p = models.get(key)
    if (p) {
      models.delete(key)
      models.set(key, p)
      return p
    }
    p = (async () => {
      let config: ArtifactConfig
      try {
        config = readArtifactJson<ArtifactConfig>(join(ref.path, 'config.json'), 'config')
      } catch (err) {
        throw new HttpError(400, 'E_UNKNOWN_MODEL', messageOf(err))
      }
      const {encoder, batcher} = await encoderFor(config)
      const model = await loadModel(ref.path, {encoder})
      return {key, ref, model, batcher, cid: ref.cid}
    })()
    models.set(key, p)
    p.catch(() => models.delete(key))
    while (models.size > maxModels) {
      const oldest = models.keys().next().value as string
      models.delete(oldest)
      evictions++
    }
    return p
  }

  async function infer(body: Record<string, unknown>) {
    if (typeof body.model !== 'string' || body.model.trim() === '') throw new HttpError(400, 'E_BAD_REQUEST', '"model" must be a CID, a registered name or a folder')
    if (typeof body.text !== 'string' || body.text.trim() === '') throw new HttpError(400, 'E_BAD_REQUEST', '"text" must be a non-empty string')
    for (const k of ['attribute', 'pay'] as const) if (body[k] !== undefined && typeof body[k] !== 'boolean') throw new HttpError(400, 'E_BAD_REQUEST', `"${k}" must be true or false`)
    if (body.topK !== undefined && !(Number.isInteger(body.topK) && (body.topK as number) >= 1)) throw new HttpError(400, 'E_BAD_REQUEST', '"topK" must be a positive integer')
    const entry = await modelFor(body.model)
    const text = body.text
    const emb = await entry.batcher.encode(text)
    const out = predictEmbeddings(entry.model, emb)
    const ref = entry.cid ? {cid: entry.cid} : {}
    if (!body.attribute && !body.pay) return {prediction: out.predictions[0], model: entry.model.path, ...ref, device: entry.model.device}
    if (body.pay) entry.cid ??= await folderCid(entry.model.path)
    entry.attribution ??= import('../attribution/from-model.js').then(({loadModelAttribution}) =>
      loadModelAttribution(entry.model, {stateDir: options.stateDir, ...(entry.cid ? {modelId: entry.cid} : {})}),
    )
    entry.attribution.catch(() => (entry.attribution = undefined))
    const ma = await entry.attribution
    const p = attributeRow(ma, out, 0, text, {method: options.method, topK: body.topK as number | undefined})
    if (!body.pay) return {prediction: p, model: entry.model.path, ...ref, device: entry.model.device}
    signer ??= resolveSigner({...options.chain, stateDir: options.stateDir})
    const ctx = await signer
    const cid = entry.cid!
    const paid = await payments.settle({modelId: await modelIdForCid(ctx, cid), receipt: p.receipt, fee: options.fee ?? DEFAULT_INFERENCE_FEE, cid})
    return {
      prediction: {...p, receipt: {...p.receipt, fee: paid.fee, split: paid.split, txHash: paid.txHash, receiptId: paid.receiptId}},
      model: entry.model.path,
      cid,
      device: entry.model.device,
      split: paid.split,
      txHash: paid.txHash,
    }
  }

  function send(res: ServerResponse, status: number, value: unknown) {
    const text = JSON.stringify(value)
    res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
    res.end(text)
  }

  function readBody(req: IncomingMessage): Promise<string> {
    const max = options.maxBodyBytes ?? 1 << 20
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size > max) {
          reject(new HttpError(413, 'E_BODY_TOO_LARGE', `request body over ${max} bytes`))
          req.destroy()
        } else parts.push(c)
      })
      req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
      req.on('error', reject)
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/health' && req.method === 'GET') return send(res, closing ? 503 : 200, {ok: !closing, loaded: models.size, requests})
    if (url.pathname === '/v1/infer') {
      if (req.method !== 'POST') return send(res, 405, {error: {code: 'E_METHOD', message: 'use POST'}})
      requests++
      const text = await readBody(req)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        throw new HttpError(400, 'E_BAD_REQUEST', 'the body is not valid JSON')
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'E_BAD_REQUEST', 'the body must be a JSON object {"model","text","attribute"}')
      return send(res, 200, await infer(body as Record<string, unknown>))
    }
    return send(res, 404, {error: {code: 'E_NOT_FOUND', message: `no route ${req.method} ${url.pathname}`}})
  }

  const server = createServer((req, res) => {
    inFlight++
    res.on('close', () => inFlight--)
    handle(req, res).catch((err) => {
      if (res.headersSent) return res.end()
      if (err instanceof HttpError) return send(res, err.status, {error: {code: err.code, message: err.message}})
      if (err instanceof OpenledgerError) return send(res, err.exitCode === 2 ? 400 : 500, {error: err.toJSON()})
      send(res, 500, {error: {code: 'E_INTERNAL', message: messageOf(err)}})
    })
  })
  server.keepAliveTimeout = 5_000

  return {
    server,
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo
          resolve({port: a.port, url: `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`})
        })
      }),
    preload: async (list) => {
      for (const r of list) await modelFor(r)
    },
    close: async () => {
      closing = true
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 10))
      await payments.idle()
      for (const e of encoders.values()) await (await e.catch(() => undefined))?.encoder.dispose()
      encoders.clear()
      models.clear()
    },
    stats: () => {
      const s = {batches: 0, texts: 0, maxBatch: 0}
      for (const b of batchers) {
        s.batches += b.stats.batches
        s.texts += b.stats.texts
        s.maxBatch = Math.max(s.maxBatch, b.stats.maxBatch)
      }
      return {loaded: models.size, requests, evictions, settlements: payments.settlements, settled: payments.settled, ...s}
    },
  }
}
