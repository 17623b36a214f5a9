import type {Hex} from 'viem'

/**
 * One JSON-RPC call over HTTP with Node's fetch, for the devnet's read-only checks (`devnet status`,
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
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method, params}),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new JsonRpcError(url, method, (err as Error).message)
  }
  if (!response.ok) throw new JsonRpcError(url, method, `HTTP ${response.status}`)
  const body = (await response.json()) as {result?: T; error?: {code: number; message: string}}
  if (body.error) throw new JsonRpcError(url, method, body.error.message, body.error.code)
  return body.result as T
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
