import type {Address} from 'viem'

import {type ChainContext, type ChainSelection, resolveChain, resolveSigner} from '../chain/context.js'

/**
 * The chain and the address a read-only command is about: `address` when given (no key needed),
 * else the signing account.
 */
export async function resolveSubject(selection: ChainSelection, address?: Address): Promise<{ctx: ChainContext; address: Address}> {
  if (address) return {ctx: await resolveChain(selection), address}
  const signer = await resolveSigner(selection)
  return {ctx: signer, address: signer.account.address}
}
