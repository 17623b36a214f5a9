/**
 * What the devnet's L2 proxy does with one JSON-RPC call from a client. Pure: no I/O, so the rules
 * are read and tested in one place.
 *
 * - Deposit transactions (type 0x7e) mint native OPEN and carry no signature: on OpenLedger only the
 *   bridge creates them, from OptimismPortal's L1 logs. A client sending one (raw, or asking the node
 *   to build one) is refused, so the L2 supply stays the OPEN locked on L1.
 * - anvil panics when asked for the raw bytes of a deposit transaction; those methods are answered by
 *   the proxy itself (see raw-deposit.ts).
 * - anvil's cheats that create OPEN or replace the chain's state (set or add a balance, load a state,
 *   reset) or sign for an account without its key (impersonation) are refused too: the devnet's own
 *   tools that need them use the private endpoint (`l2.internalRpcUrl`).
 * - Everything else goes to anvil unchanged, snapshots and time travel included.
 */

export type JsonRpcRequest = {jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown}

export type JsonRpcErrorReply = {jsonrpc: '2.0'; id: unknown; error: {code: number; message: string}}

/** How to find the transaction behind a raw-transaction method, asked of anvil as JSON. */
export type RawLookup = {method: string; params: unknown[]}

export type Decision = {kind: 'forward'} | {kind: 'refuse'; reply: JsonRpcErrorReply} | {kind: 'raw'; lookup: RawLookup}

/** EIP-1474 "transaction rejected". */
export const REFUSED_CODE = -32003

export const DEPOSIT_REFUSED_MESSAGE =
  'deposit transactions (type 0x7e) are created only by the bridge from L1 deposits (OptimismPortal); this L2 refuses them from clients'

/** Methods that take a transaction object and would have anvil build and send it. */
const SEND_OBJECT_METHODS = new Set([
  'eth_sendTransaction',
  'eth_sendUnsignedTransaction',
  'eth_signTransaction',
  'eth_sendTransactionSync',
])

/** Methods that take raw transaction bytes. */
const SEND_RAW_METHODS = new Set(['eth_sendRawTransaction', 'eth_sendRawTransactionSync', 'eth_sendRawTransactionConditional'])

export const CHEAT_REFUSED_MESSAGE = (method: string) =>
  `${method} is refused on the devnet's public L2 endpoint: it would create OPEN the L1 never locked, or sign without a key`

/** Cheats that break "the L2 supply is the OPEN locked on L1" or "a transaction needs its key". */
const SUPPLY_CHEATS = new Set([
  'anvil_setBalance',
  'hardhat_setBalance',
  'anvil_addBalance',
  'anvil_loadState',
  'anvil_reset',
  'hardhat_reset',
  'anvil_impersonateAccount',
  'hardhat_impersonateAccount',
  'anvil_autoImpersonateAccount',
])

/** Raw-transaction getters, each with the JSON getter that finds the same transaction. */
const RAW_GETTERS: Record<string, string> = {
  eth_getRawTransactionByHash: 'eth_getTransactionByHash',
  debug_getRawTransaction: 'eth_getTransactionByHash',
  eth_getRawTransactionByBlockHashAndIndex: 'eth_getTransactionByBlockHashAndIndex',
  eth_getRawTransactionByBlockNumberAndIndex: 'eth_getTransactionByBlockNumberAndIndex',
}

export function decide(request: JsonRpcRequest): Decision {
  const {method, params} = request
  if (typeof method !== 'string') return {kind: 'forward'}
  const args = Array.isArray(params) ? params : []
  if (SEND_RAW_METHODS.has(method) && isDepositRaw(args[0])) return refuse(request)
  if (SEND_OBJECT_METHODS.has(method) && isDepositObject(args[0])) return refuse(request)
  if (SUPPLY_CHEATS.has(method)) return {kind: 'refuse', reply: errorReply(request.id, REFUSED_CODE, CHEAT_REFUSED_MESSAGE(method))}
  const getter = RAW_GETTERS[method]
  if (getter) return {kind: 'raw', lookup: {method: getter, params: args}}
  return {kind: 'forward'}
}

/** The EIP-2718 type byte of a typed transaction comes first: 0x7e is a deposit. */
function isDepositRaw(raw: unknown): boolean {
  return typeof raw === 'string' && raw.slice(0, 4).toLowerCase() === '0x7e'
}

/** A transaction object asking for type 0x7e, or carrying a deposit's own fields. */
function isDepositObject(tx: unknown): boolean {
  if (!tx || typeof tx !== 'object') return false
  const t = tx as Record<string, unknown>
  const type = typeof t.type === 'string' ? t.type.toLowerCase() : t.type
  if (type === '0x7e' || type === 126 || type === 'deposit' || type === '126') return true
  return t.sourceHash !== undefined || t.mint !== undefined || t.isSystemTx !== undefined
}

function refuse(request: JsonRpcRequest): Decision {
  return {kind: 'refuse', reply: errorReply(request.id, REFUSED_CODE, DEPOSIT_REFUSED_MESSAGE)}
}

export function errorReply(id: unknown, code: number, message: string): JsonRpcErrorReply {
  return {jsonrpc: '2.0', id: id ?? null, error: {code, message}}
}
