import {Agent, type IncomingMessage, type Server, type ServerResponse, createServer, request} from 'node:http'
import type {Duplex} from 'node:stream'

import type {WebSocket, WebSocketServer} from 'ws'

import {PortInUseError} from '../errors.js'
import {type Decision, type JsonRpcRequest, type RawLookup, decide, errorReply} from './policy.js'
import {isDepositTransaction, serializeDeposit} from './raw-deposit.js'

export type RpcProxyOptions = {
  /** anvil's private HTTP endpoint (it answers WebSocket on the same port); asked per call, as anvil may pick its port after we do. */
  upstream: string | (() => string)
  host?: string
  /** 0 picks a free port. */
  port: number
  /** The CLI flag that set the port, named when it is taken. */
  portFlag: string
}

type Reply = {status: number; contentType: string; body: Buffer}

/** JSON-RPC "internal error", for an upstream that does not answer. */
const UPSTREAM_ERROR = -32603

/**
 * The devnet L2's public RPC endpoint (HTTP and WebSocket), in front of the L2 anvil: clients reach
 * the chain only through it, as on supersim. policy.ts decides per call; forwarded calls and batches
 * go to anvil byte for byte, and answers come back as anvil gave them.
 */
export class RpcProxy {
  port: number
  private server?: Server
  private wss?: WebSocketServer
  private readonly agent = new Agent({keepAlive: true, maxSockets: 64})

  constructor(readonly options: RpcProxyOptions) {
    this.port = options.port
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1'
  }

  get rpcUrl(): string {
    return `http://${this.host}:${this.port}`
  }

  get wsUrl(): string {
    return `ws://${this.host}:${this.port}`
  }

  private get upstream(): string {
    const u = this.options.upstream
    return typeof u === 'string' ? u : u()
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.onHttp(req, res))
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head))
    // Keep-alive sockets of idle clients must not hold a stopping devnet open.
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PortInUseError(this.options.portFlag, this.options.port) : err),
      )
      server.listen({port: this.options.port, host: this.host, exclusive: true}, () => resolve())
    })
    this.server = server
    this.port = (server.address() as {port: number}).port
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const client of this.wss?.clients ?? []) client.terminate()
    this.wss?.close()
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    this.agent.destroy()
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readBody(req)
      const reply = req.method === 'POST' ? await this.answer(body) : await this.post(body, req.method)
      res.writeHead(reply.status, {'content-type': reply.contentType, 'content-length': reply.body.length})
      res.end(reply.body)
    } catch (err) {
      const body = Buffer.from(JSON.stringify(errorReply(null, UPSTREAM_ERROR, `the devnet L2 did not answer: ${(err as Error).message}`)))
      if (!res.headersSent) res.writeHead(502, {'content-type': 'application/json', 'content-length': body.length})
      res.end(body)
    }
  }

  /** One HTTP body: a call or a batch. Nothing to intercept: the bytes go to anvil as they came. */
  private async answer(body: Buffer): Promise<Reply> {
    const parsed = parseJson(body)
    if (parsed === undefined) return this.post(body)
    const calls = Array.isArray(parsed) ? (parsed as JsonRpcRequest[]) : [parsed as JsonRpcRequest]
    const decisions = calls.map((c) => decide(c && typeof c === 'object' ? c : {}))
    if (decisions.every((d) => d.kind === 'forward')) return this.post(body)
    const answers = await this.answerEach(calls, decisions)
    return jsonReply(Array.isArray(parsed) ? answers : answers[0])
  }

  /**
   * A batch with calls to intercept: those are answered here, the rest go to anvil as one batch in
   * their original order, and the answers are put back in the order of the calls.
   */
  private async answerEach(calls: JsonRpcRequest[], decisions: Decision[]): Promise<unknown[]> {
    const forwarded = calls.filter((_, i) => decisions[i].kind === 'forward')
    const upstream = forwarded.length
      ? this.post(Buffer.from(JSON.stringify(forwarded))).then((r) => parseJson(r.body) as unknown[] | undefined)
      : Promise.resolve([])
    const local = decisions.map((d, i) =>
      d.kind === 'refuse' ? d.reply : d.kind === 'raw' ? this.rawTransaction(calls[i], d.lookup) : undefined,
    )
    const fromUpstream = (await upstream) ?? []
    const byId = new Map(fromUpstream.map((r) => [JSON.stringify((r as JsonRpcRequest)?.id), r]))
    let next = 0
    return Promise.all(
      decisions.map((d, i) => {
        if (d.kind !== 'forward') return local[i]
        const answer = byId.get(JSON.stringify(calls[i].id)) ?? fromUpstream[next]
        next++
        return answer
      }),
    )
  }

  /**
   * eth_getRawTransactionBy* and debug_getRawTransaction: anvil panics on a deposit, so the
   * transaction is looked up as JSON first; a deposit is serialized here, anything else is anvil's.
   */
  private async rawTransaction(call: JsonRpcRequest, lookup: RawLookup): Promise<unknown> {
    const found = parseJson((await this.post(Buffer.from(JSON.stringify({jsonrpc: '2.0', id: 1, ...lookup})))).body) as
      | {result?: unknown; error?: {code: number; message: string}}
      | undefined
    if (!found) return errorReply(call.id, UPSTREAM_ERROR, `${lookup.method}: not a JSON-RPC answer`)
    if (found.error) return {jsonrpc: '2.0', id: call.id ?? null, error: found.error}
    if (isDepositTransaction(found.result)) return {jsonrpc: '2.0', id: call.id ?? null, result: await serializeDeposit(found.result)}
    return parseJson((await this.post(Buffer.from(JSON.stringify(call)))).body)
  }

  private post(body: Buffer, method = 'POST'): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const req = request(
        this.upstream,
        {method, agent: this.agent, headers: {'content-type': 'application/json', 'content-length': body.length}},
        (res) => {
          readBody(res).then(
            (b) => resolve({status: res.statusCode ?? 502, contentType: res.headers['content-type'] ?? 'application/json', body: b}),
            reject,
          )
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // `ws` is loaded on the first WebSocket client only: most devnet sessions never have one.
    const {WebSocketServer, WebSocket} = await import('ws')
    this.wss ??= new WebSocketServer({noServer: true, perMessageDeflate: false})
    this.wss.handleUpgrade(req, socket, head, (client) => this.pipeWebSocket(client, new WebSocket(this.upstream.replace(/^http/, 'ws'))))
  }

  /**
   * One client WebSocket paired with its own WebSocket to anvil: subscriptions and their
   * notifications pass as they are; each message from the client gets the same decisions as HTTP.
   */
  private pipeWebSocket(client: WebSocket, upstream: WebSocket): void {
    const queued: Array<string | Buffer> = []
    const toUpstream = (data: string | Buffer) => (upstream.readyState === 1 ? upstream.send(data) : queued.push(data))
    upstream.on('open', () => {
      for (const m of queued.splice(0)) upstream.send(m)
    })
    upstream.on('message', (data, isBinary) => {
      if (client.readyState === 1) client.send(data, {binary: isBinary})
    })
    const closeBoth = () => {
      client.terminate()
      upstream.terminate()
    }
    upstream.on('close', closeBoth)
    upstream.on('error', closeBoth)
    client.on('close', closeBoth)
    client.on('error', closeBoth)
    client.on('message', (data, isBinary) => {
      const raw = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])
      const parsed = isBinary ? undefined : parseJson(raw)
      if (parsed === undefined) return toUpstream(raw)
      const calls = Array.isArray(parsed) ? (parsed as JsonRpcRequest[]) : [parsed as JsonRpcRequest]
      const decisions = calls.map((c) => decide(c && typeof c === 'object' ? c : {}))
      if (decisions.every((d) => d.kind === 'forward')) return toUpstream(raw.toString('utf8'))
      void this.answerEach(calls, decisions).then(
        (answers) => client.readyState === 1 && client.send(JSON.stringify(Array.isArray(parsed) ? answers : answers[0])),
        (err) => client.readyState === 1 && client.send(JSON.stringify(errorReply(calls[0]?.id, UPSTREAM_ERROR, String(err)))),
      )
    })
  }
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

const jsonReply = (value: unknown): Reply => ({status: 200, contentType: 'application/json', body: Buffer.from(JSON.stringify(value))})
