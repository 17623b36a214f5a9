import type {Address} from 'viem'

import {type ChainContext, type ChainSelection, type SignerContext, contractAddress, resolveChain, resolveSigner} from '../chain/context.js'

/** DatanetRegistry on one chain, read-only, with the chain id the manifest records. */
export type DatanetReader = ChainContext & {registry: Address; chainId: number}

/** DatanetRegistry on one chain with the signer that writes to it. */
export type DatanetChain = SignerContext & DatanetReader

/** The signer and DatanetRegistry of the selected chain (the devnet by default). */
export async function datanetChain(sel: ChainSelection): Promise<DatanetChain> {
  const ctx = await resolveSigner(sel)
  return {...ctx, registry: contractAddress(ctx, 'DatanetRegistry'), chainId: ctx.chain.id}
}

/** Read-only access to DatanetRegistry, or undefined when no chain or registry is reachable. */
export async function datanetReader(sel: ChainSelection): Promise<DatanetReader | undefined> {
  try {
    const ctx = await resolveChain(sel)
    return {...ctx, registry: contractAddress(ctx, 'DatanetRegistry'), chainId: ctx.chain.id}
  } catch {
    return undefined
  }
}
