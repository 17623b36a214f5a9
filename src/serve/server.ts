/**
 * The inference server: node:http in front of the router (routes), the model registry (loading,
 * LRU, encoders) and the handlers (the predict → attribute → pay flow shared with `infer`). Errors
 * become JSON (400 naming the field at fault, 404, 405, 413, 500); `close` stops accepting,
 * finishes the requests in flight and the queued batches, then frees the encoders.
 */
import {type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {GradientMethod} from '../attribution/from-model.js'
import {type ChainSelection, type SignerContext, resolveSigner} from '../chain/context.js'
import {OpenledgerError, messageOf} from '../errors.js'
import type {DeviceRequest} from '../model/backend.js'
import {DEFAULT_INFERENCE_FEE} from '../publish/pay.js'
import {MicroBatcher} from './batcher.js'
import {ClosedError, HttpError} from './errors.js'
import {PaymentGate} from './payment.js'
import {settlePaidRows} from './payment-settle.js'
import type {ServeContext} from './handlers.js'
import {sendError, sendJson} from './http.js'
import {ModelRegistry} from './registry.js'
import {LmAdapters} from './lm-adapters.js'
import type {LmDeviceRequest} from '../lm/device.js'
import {route} from './router.js'

export type InferenceServerOptions = {
  stateDir?: string
  /** Models kept loaded at once (LRU). Default 32. */
  maxModels?: number
  /** How long a batch waits for more requests, in ms. Default 0: what arrives in one event-loop turn (see MicroBatcher). */
  batchWindowMs?: number
  /** Largest encoder (and attribution) batch. Default 64. */
  maxBatch?: number
  device?: DeviceRequest
  /** Attribution method for "attribute": true. Default if. */
  method?: GradientMethod
  /** Chain and the agent's signer for "pay": true (it sends settlements and pays their gas, never a fee). */
  chain?: ChainSelection
  /** Fee per paid request (the price quoted), wei. */
  fee?: bigint
  /** Largest request body, bytes. Default 1 MiB. */
  maxBodyBytes?: number
  /** How long paid requests wait to be settled together, in ms. Default 20. */
  payWindowMs?: number
  /** Language-model adapters kept loaded at once (LRU). Default 16. */
  maxAdapters?: number
  /** Device for the language-model base (default auto). */
  lmDevice?: LmDeviceRequest
}

export type InferenceServerStats = {
  loaded: number
  requests: number
  /** Encoder calls, texts encoded, largest encoder batch. */
  batches: number
  texts: number
  maxBatch: number
  evictions: number
  /** Settlement transactions sent, and paid requests they settled. */
  settlements: number
  settled: number
  /** Generation batches run, requests they answered, the largest batch, adapters evicted. */
  lmBatches: number
  lmRequests: number
  lmLargestBatch: number
  lmEvictions: number
}

export type InferenceServer = {
  server: Server
  listen(port?: number, host?: string): Promise<{port: number; url: string}>
  /** Stops accepting, finishes requests in flight, frees encoders. */
  close(): Promise<void>
  /** Loads models ahead of the first request. */
  preload(refs: string[]): Promise<void>
  stats(): InferenceServerStats
}

/** The path of a request target (`/v1/infer?x=1` → `/v1/infer`). */
function pathOf(target: string | undefined): string {
  if (!target) return '/'
  const q = target.indexOf('?')
  return q < 0 ? target : target.slice(0, q)
}

export function createInferenceServer(options: InferenceServerOptions = {}): InferenceServer {
  const batch = {maxSize: options.maxBatch ?? 64, maxWaitMs: options.batchWindowMs ?? 0}
  const registry = new ModelRegistry({
    stateDir: options.stateDir,
    chain: options.chain,
    device: options.device,
    maxModels: options.maxModels ?? 32,
    batch,
    method: options.method ?? 'if',
  })
  let signer: Promise<SignerContext> | undefined
  const getSigner = () => (signer ??= resolveSigner({...options.chain, stateDir: options.stateDir}))
  const fee = options.fee ?? DEFAULT_INFERENCE_FEE
  const lm = new LmAdapters({
    stateDir: options.stateDir,
    device: options.lmDevice,
    maxAdapters: options.maxAdapters ?? 16,
    maxBatch: batch.maxSize,
    batchWindowMs: batch.maxWaitMs,
  })
  const ctx: ServeContext = {
    registry,
    lm,
    // Batches are bounded by gas in settlePaidRows; 256 only caps the memory of one.
    payments: new MicroBatcher(async (rows) => settlePaidRows(await getSigner(), rows, {stateDir: options.stateDir}), {
      maxSize: 256,
      maxWaitMs: options.payWindowMs ?? 20,
    }),
    gate: new PaymentGate(getSigner, fee),
    signer: getSigner,
    fee,
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
    requests: 0,
    closing: false,
  }
  let inFlight = 0
  let drained: (() => void) | undefined

  const server = createServer((req, res) => {
    inFlight++
    res.on('close', () => {
      if (--inFlight === 0) drained?.()
    })
    const fail = (err: unknown) => {
      if (res.headersSent) return res.end()
      if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message)
      if (err instanceof ClosedError) return sendError(res, 503, err.code, err.shortMessage)
      if (err instanceof OpenledgerError) return sendJson(res, err.exitCode === 2 ? 400 : 500, {error: err.toJSON()})
      sendError(res, 500, 'E_INTERNAL', messageOf(err))
    }
    // Routing is synchronous, and the path is the request target up to its query: no URL object and
    // no extra promise turn per request (a server answering tens of thousands a second feels both).
    let handler: ReturnType<typeof route>
    try {
      handler = route(req.method, pathOf(req.url))
    } catch (err) {
      return fail(err)
    }
    handler(ctx, req, res).catch(fail)
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
      for (const r of list) await registry.get(r)
    },
    close: async () => {
      ctx.closing = true
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve))
      // Keep-alive sockets that went idle when their last response ended.
      server.closeIdleConnections()
      await stopped
      await ctx.payments.close()
      await registry.close()
      await lm.close()
    },
    stats: () => {
      const e = registry.encoderStats()
      return {
        loaded: registry.size,
        requests: ctx.requests,
        batches: e.batches,
        texts: e.items,
        maxBatch: e.largest,
        evictions: registry.evictions,
        settlements: ctx.payments.stats.batches,
        settled: ctx.payments.stats.items,
        lmBatches: lm.batcher.stats.batches,
        lmRequests: lm.batcher.stats.items,
        lmLargestBatch: lm.batcher.stats.largest,
        lmEvictions: lm.evictions,
      }
    },
  }
}
