/** `datanet curator`: who besides the owner may review and publish. */
import type {Address, Hex} from 'viem'

import type {DatanetChain} from './chain.js'
import {requireOnChain} from './registration.js'
import {registrySetCurator} from './registry.js'
import {DatanetStore} from './store.js'

type Where = {stateDir?: string}

export type CuratorResult = {name: string; datanetId: string; curator: Address; enabled: boolean; txHash: Hex}

/**
 * Adds or removes a curator: an address that may review contributions and publish versions of the
 * datanet. Only its owner may; the registry refuses anyone else (NotDatanetOwner).
 */
export async function setDatanetCurator(
  p: Where & {name: string; curator: Address; enabled: boolean; chain: DatanetChain},
): Promise<CuratorResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  const c = requireOnChain(store.readManifest(), p.chain)
  const r = await registrySetCurator(p.chain, {datanetId: BigInt(c.datanetId), curator: p.curator, enabled: p.enabled})
  return {name: p.name, datanetId: c.datanetId, curator: p.curator, enabled: p.enabled, txHash: r.txHash}
}
