import {
  type Address,
  type Hex,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  keccak256,
  numberToHex,
  parseAbi,
} from 'viem'

import {UsageError} from '../errors.js'
import {jsonRpc} from './rpc.js'

/**
 * `devnet start --fork`: both chains forked from live endpoints at heights that belong together,
 * with the dev accounts funded on both. Loaded only by a fork start (it needs viem).
 */
export type ForkOptions = {
  /** For messages and the state file: testnet, mainnet, or the URL. */
  network: string
  l2RpcUrl: string
  l1RpcUrl: string
  /** The L2 block to fork at; the latest when undefined. (A number: these options travel as JSON to a detached supervisor.) */
  l2Block?: number
  /** How messages name each input (the command passes its flags). */
  names?: {l2RpcUrl?: string; l1RpcUrl?: string; l2Block?: string}
}

export type ForkPlan = {
  l2Block: bigint
  l1Block: bigint
  /** How the L1 height was chosen: the L2's own record of its L1 origin, or block timestamps. */
  l1BlockFrom: 'L1Block.number' | 'timestamp'
  /** OPEN on L1 (the L2's gas paying token), when the L2 names it. */
  l1Token?: Address
}

/** The L1Block predeploy: every OP Stack L2 records there the L1 block it derives from. */
export const L1_BLOCK_PREDEPLOY: Address = '0x4200000000000000000000000000000000000015'
const l1BlockAbi = parseAbi(['function number() view returns (uint64)', 'function gasPayingToken() view returns (address, uint8)'])
/** What L1Block.gasPayingToken() answers on a chain whose gas is ETH. */
const ETHER: Address = '0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE'

type RpcBlock = {number: Hex; timestamp: Hex}

/**
 * Chooses the two fork heights. The L1 height is the L1 block the L2 block was derived from, as
 * the L2's L1Block predeploy records it; where the L2 has none (or it is unset), the last L1 block
 * no later than the L2 block, by timestamp. Either way every deposit the forked L2 has seen exists
 * on the forked L1, and the L1 has nothing from the L2's future.
 */
export async function planFork(o: ForkOptions): Promise<ForkPlan> {
  const names = {l2RpcUrl: 'the L2 to fork', l1RpcUrl: 'the L1 to fork', l2Block: 'the fork block', ...o.names}
  const l2Head = await blockAt(o.l2RpcUrl, 'latest', names.l2RpcUrl)
  const l2Block = o.l2Block !== undefined ? BigInt(o.l2Block) : BigInt(l2Head.number)
  if (l2Block > BigInt(l2Head.number))
    throw new UsageError(`${names.l2Block} ${l2Block} is past the L2's head (block ${BigInt(l2Head.number)})`)
  const l2At = await blockAt(o.l2RpcUrl, numberToHex(l2Block), names.l2RpcUrl)
  const l1Head = BigInt((await blockAt(o.l1RpcUrl, 'latest', names.l1RpcUrl)).number)

  const [origin, l1Token] = await Promise.all([l1Origin(o.l2RpcUrl, l2Block), gasPayingToken(o.l2RpcUrl, l2Block)])
  if (origin !== undefined && origin > 0n && origin <= l1Head) return {l2Block, l1Block: origin, l1BlockFrom: 'L1Block.number', l1Token}
  const l1Block = await lastBlockAtOrBefore(o.l1RpcUrl, BigInt(l2At.timestamp), l1Head, names.l1RpcUrl)
  return {l2Block, l1Block, l1BlockFrom: 'timestamp', l1Token}
}

async function blockAt(url: string, tag: string, name: string): Promise<RpcBlock> {
  const block = await jsonRpc<RpcBlock | null>(url, 'eth_getBlockByNumber', [tag, false], 30_000).catch((err) => {
    throw new UsageError(`${name} (${url}) does not answer eth_getBlockByNumber: ${(err as Error).message}`)
  })
  if (!block) throw new UsageError(`${name} (${url}) has no block ${tag}`)
  return block
}

/** eth_call to the L1Block predeploy at `block`: its answer, or undefined where it has no code. */
async function callL1Block(url: string, data: Hex, block: bigint): Promise<Hex | undefined> {
  const out = await jsonRpc<Hex>(url, 'eth_call', [{to: L1_BLOCK_PREDEPLOY, data}, numberToHex(block)]).catch(() => '0x' as Hex)
  return out === '0x' ? undefined : out
}

async function l1Origin(url: string, block: bigint): Promise<bigint | undefined> {
  const out = await callL1Block(url, encodeFunctionData({abi: l1BlockAbi, functionName: 'number'}), block)
  return out === undefined ? undefined : decodeFunctionResult({abi: l1BlockAbi, functionName: 'number', data: out})
}

async function gasPayingToken(url: string, block: bigint): Promise<Address | undefined> {
  const out = await callL1Block(url, encodeFunctionData({abi: l1BlockAbi, functionName: 'gasPayingToken'}), block)
  if (out === undefined) return undefined
  const [token] = decodeFunctionResult({abi: l1BlockAbi, functionName: 'gasPayingToken', data: out})
  return /^0x0{40}$/i.test(token) || token.toLowerCase() === ETHER.toLowerCase() ? undefined : token
}

/** Binary search: the highest L1 block whose timestamp is at most `timestamp`. */
async function lastBlockAtOrBefore(url: string, timestamp: bigint, head: bigint, name: string): Promise<bigint> {
  let lo = 0n
  let hi = head
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n
    const b = await blockAt(url, numberToHex(mid), name)
    if (BigInt(b.timestamp) <= timestamp) lo = mid
    else hi = mid - 1n
  }
  return lo
}

/**
 * Funds the dev accounts on the forked chains: native balance with anvil_setBalance on both, and
 * `l1Open` of the L1 token by writing its balance slot (found by probing, as forge's `deal` does,
 * since the token's storage layout is not known in advance). Returns the slot used, or undefined
 * when no slot answers (a token whose balances are not a plain mapping).
 */
export async function fundForkedAccounts(
  chains: {l1: string; l2: string},
  accounts: readonly Address[],
  amounts: {l1Native: bigint; l2Native: bigint; l1Open: bigint},
  token?: Address,
): Promise<bigint | undefined> {
  await Promise.all(
    accounts.flatMap((a) => [
      jsonRpc(chains.l1, 'anvil_setBalance', [a, numberToHex(amounts.l1Native)]),
      jsonRpc(chains.l2, 'anvil_setBalance', [a, numberToHex(amounts.l2Native)]),
    ]),
  )
  if (!token) return undefined
  const slot = await findBalanceSlot(chains.l1, token, accounts[0])
  if (slot === undefined) return undefined
  for (const a of accounts)
    await jsonRpc(chains.l1, 'anvil_setStorageAt', [token, balanceKey(a, slot), numberToHex(amounts.l1Open, {size: 32})])
  return slot
}

/** OpenZeppelin 5's upgradeable ERC20 keeps its balances at this ERC-7201 namespace's base slot. */
const OZ_ERC20_NAMESPACE = 0x52c63247e1f47db19d5ce0460030c497f067ca4cebf71ba98eeadabe20bace00n

const balanceKey = (holder: Address, slot: bigint) => keccak256(encodeAbiParameters([{type: 'address'}, {type: 'uint256'}], [holder, slot]))

/** The storage slot of the token's `balances` mapping: the one whose write balanceOf reads back. */
export async function findBalanceSlot(url: string, token: Address, holder: Address): Promise<bigint | undefined> {
  const probe = 0x4f70656e4c6564676572n // a value no real balance is likely to hold
  const balanceOf = async () =>
    BigInt(
      await jsonRpc<Hex>(url, 'eth_call', [
        {to: token, data: encodeFunctionData({abi: erc20Abi, functionName: 'balanceOf', args: [holder]})},
        'latest',
      ]),
    )
  for (const slot of [...Array.from({length: 32}, (_, i) => BigInt(i)), OZ_ERC20_NAMESPACE]) {
    const key = balanceKey(holder, slot)
    const before = await jsonRpc<Hex>(url, 'eth_getStorageAt', [token, key, 'latest'])
    await jsonRpc(url, 'anvil_setStorageAt', [token, key, numberToHex(probe, {size: 32})])
    const read = await balanceOf().catch(() => undefined)
    await jsonRpc(url, 'anvil_setStorageAt', [token, key, numberToHex(BigInt(before), {size: 32})])
    if (read === probe) return slot
  }
  return undefined
}
