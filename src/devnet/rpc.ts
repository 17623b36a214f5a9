import type {Hex} from 'viem'

/**
 * One JSON-RPC call over HTTP, for the devnet's read-only checks (`devnet status`,
 * readiness): viem's client costs about 0.2 s of imports, more than the whole `status` command may
 * take (bench: `npm run bench -- cli`). Anything that signs or decodes ABIs goes through viem.
 */
export class JsonRpcError extends Error {
  constructor(
    readonly url: string,
    readonly method: string,
    message: string,
    readonly code?: number,
  ) {
    super(`${method} at ${url}: ${message}`)
    this.name = 'JsonRpcError'
  }
}

export async function jsonRpc<T = unknown>(url: string, method: string, params: unknown[] = [], timeoutMs = 5000): Promise<T> {
  const body = JSON.stringify({jsonrpc: '2.0', id: 1, method, params})
  let text: string
  try {
    text = await post(url, body, timeoutMs)
  } catch (err) {
    throw new JsonRpcError(url, method, (err as Error).message)
  }
  let reply: {result?: T; error?: {code: number; message: string}}
  try {
    reply = JSON.parse(text)
  } catch {
    throw new JsonRpcError(url, method, `not a JSON-RPC answer: ${text.slice(0, 100)}`)
  }
  if (reply.error) throw new JsonRpcError(url, method, reply.error.message, reply.error.code)
  return reply.result as T
}

/**
 * POST with node:http (the devnet is plain http on the loopback): Node's global fetch loads undici
 * on first use, about as long as the rest of `devnet status` takes. Other schemes go through fetch.
 */
async function post(url: string, body: string, timeoutMs: number): Promise<string> {
  if (!url.startsWith('http:')) {
    const r = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body,
      signal: AbortSignal.timeout(timeoutMs),
    })
    if (!r.ok) throw new Error(`HTTP ${r.status}`)
    return r.text()
  }
  const {request} = await import('node:http')
  return new Promise<string>((resolve, reject) => {
    const req = request(
      url,
      {method: 'POST', headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)}, timeout: timeoutMs},
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`HTTP ${res.statusCode}`)),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** The chain's latest block number (eth_blockNumber). */
export async function blockNumber(url: string): Promise<bigint> {
  return BigInt(await jsonRpc<string>(url, 'eth_blockNumber'))
}

/** Snapshots both chains (evm_snapshot); restoring one returns both to this point. */
export async function takeSnapshot(l1RpcUrl: string, l2RpcUrl: string): Promise<{l1: Hex; l2: Hex}> {
  const [a, b] = await Promise.all([jsonRpc<Hex>(l1RpcUrl, 'evm_snapshot'), jsonRpc<Hex>(l2RpcUrl, 'evm_snapshot')])
  return {l1: a, l2: b}
}
