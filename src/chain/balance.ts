/**
 * An address's OPEN on both layers: on the L2, OPEN is the native currency; on the devnet's L1 it
 * is the OpenToken ERC-20 (what the bridge locks), beside the ETH that pays L1 gas.
 */
import {type Address, createPublicClient, formatEther, http} from 'viem'

import {toChecksumAddress} from './address.js'
import type {ChainContext} from './context.js'
import {readContract} from './contract.js'
import {devnetChain} from './networks.js'

/** An amount as wei (a decimal string, exact) and in whole units (a decimal string, for people). */
export type Amount = {wei: string; open: string}

export type Balances = {
  address: Address
  l2: {network: ChainContext['network']; chainId: number; balance: Amount}
  /** The devnet's L1; null on other networks, whose L1 this toolkit does not know. */
  l1: {chainId: number; token: Address; balance: Amount; eth: {wei: string; ether: string}} | null
}

export const amount = (wei: bigint): Amount => ({wei: wei.toString(), open: formatEther(wei)})

export async function balances(ctx: ChainContext, address: Address): Promise<Balances> {
  const l2Balance = ctx.publicClient.getBalance({address})
  const l1 = ctx.devnet ? l1Balances(ctx, address) : Promise.resolve(null)
  return {
    address,
    l2: {network: ctx.network, chainId: ctx.chain.id, balance: amount(await l2Balance)},
    l1: await l1,
  }
}

async function l1Balances(ctx: ChainContext, address: Address): Promise<NonNullable<Balances['l1']>> {
  const devnet = ctx.devnet!
  const chain = devnetChain(devnet.l1.chainId, devnet.l1.rpcUrl, 'l1')
  const publicClient = createPublicClient({chain, transport: http(devnet.l1.rpcUrl, {batch: false, retryCount: 0})})
  const reader = {chain, publicClient, contracts: devnet.contracts}
  const [token, eth] = await Promise.all([readContract(reader, 'OpenToken', 'balanceOf', [address]), publicClient.getBalance({address})])
  return {
    chainId: chain.id,
    token: toChecksumAddress(devnet.contracts.OpenToken),
    balance: amount(token),
    eth: {wei: eth.toString(), ether: formatEther(eth)},
  }
}
