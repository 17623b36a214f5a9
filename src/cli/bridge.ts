import {Flags} from '@oclif/core'
import type {Address} from 'viem'

import {type ChainContext, type SignerContext, resolveSigner} from '../chain/context.js'
import {BRIDGE_PRESETS} from '../chain/networks.js'
import type {BridgeEndpoints} from '../devnet/bridge/addresses.js'
import {devnetBridgeEndpoints} from '../devnet/bridge/endpoints.js'
import {networkBridgeEndpoints} from '../devnet/bridge/portal.js'
import {UsageError} from '../errors.js'
import {addressFlag, chainFlags, chainSelection} from './flags.js'

/** The bridge commands' flags: the L2 as every command selects it, plus where its L1 side is. */
export const bridgeFlags = {
  ...chainFlags,
  'l1-rpc-url': Flags.string({
    description: 'JSON-RPC endpoint of the L1 (default: the devnet’s, or the network preset’s public one).',
    env: 'OPENLEDGER_L1_RPC_URL',
    helpGroup: 'CHAIN',
  }),
  portal: addressFlag({
    description: 'OptimismPortal address on the L1 (default: the devnet’s, or the network preset’s).',
    env: 'OPENLEDGER_PORTAL',
    helpGroup: 'CHAIN',
  }),
}

type BridgeFlagValues = {
  network?: 'devnet' | 'testnet' | 'mainnet'
  'rpc-url'?: string
  account?: number
  'l1-rpc-url'?: string
  portal?: Address
}

/** Where the L1 side of a non-devnet L2 is, from the flags and the network's preset. */
export function l1Side(ctx: {network: string}, flags: BridgeFlagValues): {l1RpcUrl: string; portal: Address} {
  const preset = ctx.network === 'testnet' || ctx.network === 'mainnet' ? BRIDGE_PRESETS[ctx.network] : undefined
  const l1RpcUrl = flags['l1-rpc-url'] ?? preset?.l1.rpcUrl
  const portal = flags.portal ?? preset?.portal
  if (!l1RpcUrl) throw new UsageError('--l1-rpc-url is required for a custom L2 (--rpc-url): the bridge’s portal is on its L1')
  if (!portal)
    throw new UsageError(`--portal is required on ${ctx.network}: no OptimismPortal address is published for it in the network presets`)
  return {l1RpcUrl, portal}
}

/** The bridge's endpoints for the selected L2: the devnet's from its state, else read live from the portal. */
export async function bridgeEndpointsFor(ctx: ChainContext, flags: BridgeFlagValues): Promise<BridgeEndpoints> {
  if (ctx.devnet) {
    const endpoints = devnetBridgeEndpoints(ctx.devnet)
    return flags['l1-rpc-url'] ? {...endpoints, l1: {...endpoints.l1, rpcUrl: flags['l1-rpc-url']}} : endpoints
  }
  const {l1RpcUrl, portal} = l1Side(ctx, flags)
  return (await networkBridgeEndpoints(l1RpcUrl, {chainId: ctx.chain.id, rpcUrl: ctx.chain.rpcUrls.default.http[0]}, portal)).endpoints
}

/** The signer and the bridge's endpoints for a bridge command that sends transactions. */
export async function resolveBridge(flags: BridgeFlagValues): Promise<{ctx: SignerContext; endpoints: BridgeEndpoints}> {
  const ctx = await resolveSigner(chainSelection(flags))
  return {ctx, endpoints: await bridgeEndpointsFor(ctx, flags)}
}
