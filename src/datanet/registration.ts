/** A datanet's registration on a chain: whether this chain knows it, and registering it. */
import type {Address, Hex} from 'viem'

import {canonicalJson} from './canonical-json.js'
import type {DatanetChain, DatanetReader} from './chain.js'
import {NotOnChainError} from './errors.js'
import {registryCreateDatanet, registryGetDatanet} from './registry.js'
import {DatanetStore} from './store.js'
import {type DatanetManifest, MODALITY_CODE, type OnChainDatanet} from './types.js'

type Where = {stateDir?: string}

/** JSON metadata inline, as a data: URI (nothing to host). */
export const dataUri = (value: unknown) => `data:application/json,${encodeURIComponent(canonicalJson(value))}`

function datanetMetadataURI(m: DatanetManifest): string {
  return dataUri({description: m.description ?? '', summary: m.summary ?? '', tags: m.tags})
}

/** Whether the manifest's registration is one this chain knows (a devnet reset forgets it). */
async function isRegisteredHere(chain: DatanetReader, m: DatanetManifest): Promise<boolean> {
  const c = m.chain
  if (!c || c.chainId !== chain.chainId || c.registry.toLowerCase() !== chain.registry.toLowerCase()) return false
  try {
    const d = await registryGetDatanet(chain, BigInt(c.datanetId))
    return d.owner.toLowerCase() === c.owner.toLowerCase() && d.name === m.name
  } catch {
    return false
  }
}

/** Registers the datanet on-chain unless this chain's registry already has it. */
export async function ensureRegistered(
  store: DatanetStore,
  m: DatanetManifest,
  chain: DatanetChain,
): Promise<{registered: boolean; chain: OnChainDatanet}> {
  if (await isRegisteredHere(chain, m)) return {registered: false, chain: m.chain!}
  const metadataURI = datanetMetadataURI(m)
  const r = await registryCreateDatanet(chain, {name: m.name, metadataURI, modality: MODALITY_CODE[m.modality]})
  m.chain = {
    chainId: chain.chainId,
    registry: chain.registry,
    datanetId: r.datanetId.toString(),
    owner: r.owner,
    txHash: r.txHash,
    metadataURI,
  }
  store.writeManifest(m)
  return {registered: true, chain: m.chain}
}

export type RegisterResult = {name: string; datanetId: string; owner: Address; txHash: Hex; registered: boolean}

/** Registers now, so that the public can contribute before a first version. */
export async function registerDatanet(p: Where & {name: string; chain: DatanetChain}): Promise<RegisterResult> {
  const store = new DatanetStore(p.name, p.stateDir)
  return store.locked(async () => {
    const m = store.readManifest()
    const {registered, chain} = await ensureRegistered(store, m, p.chain)
    return {name: p.name, datanetId: chain.datanetId, owner: chain.owner, txHash: chain.txHash, registered}
  })
}

/** The manifest's registration on this chain, or NotOnChainError. */
export function requireOnChain(m: DatanetManifest, chain: DatanetReader): OnChainDatanet {
  const c = m.chain
  if (!c || c.chainId !== chain.chainId || c.registry.toLowerCase() !== chain.registry.toLowerCase()) throw new NotOnChainError(m.name)
  return c
}
