import {type ChainSelection, contractAddress, resolveChain, resolveSigner} from '../chain/context.js'
import type {RegistryContext} from './registry.js'
import type {DatanetChain} from './onchain.js'

/** The signer and DatanetRegistry of the selected chain (the devnet by default). */
export async function datanetChain(sel: ChainSelection): Promise<DatanetChain> {
  const ctx = await resolveSigner(sel)
  return {publicClient: ctx.publicClient, walletClient: ctx.walletClient, registry: contractAddress(ctx, 'DatanetRegistry'), chainId: ctx.chain.id}
}

/** Read-only access to DatanetRegistry, or undefined when no chain or registry is reachable. */
export async function datanetReader(sel: ChainSelection): Promise<(RegistryContext & {chainId: number}) | undefined> {
  try {
    const ctx = await resolveChain(sel)
    return {publicClient: ctx.publicClient, registry: contractAddress(ctx, 'DatanetRegistry'), chainId: ctx.chain.id}
  } catch {
    return undefined
  }
}
