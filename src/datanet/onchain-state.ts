/** What the registry says about a datanet, next to the local versions (`datanet show`). */
import type {Address, Hex} from 'viem'

import type {DatanetReader} from './chain.js'
import {registryGetDatanet, registryVersionEvents} from './registry.js'
import {DatanetStore} from './store.js'

type Where = {stateDir?: string}

export type OnChainState = {
  datanetId: string
  owner: Address
  versionCount: number
  /** Each VersionPublished event, and whether its root is the local version's. */
  versions: Array<{version: number; root: Hex; records: number; txHash: Hex; matchesLocal: boolean | null}>
}

/** What the registry says about a datanet, compared with the local versions. */
export async function onChainState(p: Where & {name: string; chain: DatanetReader}): Promise<OnChainState | undefined> {
  const store = new DatanetStore(p.name, p.stateDir)
  const m = store.readManifest()
  const c = m.chain
  if (!c || c.chainId !== p.chain.chainId || c.registry.toLowerCase() !== p.chain.registry.toLowerCase()) return undefined
  const d = await registryGetDatanet(p.chain, BigInt(c.datanetId))
  const events = await registryVersionEvents(p.chain, BigInt(c.datanetId))
  return {
    datanetId: c.datanetId,
    owner: d.owner,
    versionCount: Number(d.versionCount),
    versions: events.map((e) => {
      const local = m.versions.find((v) => v.chainVersion === e.version && v.datanetId === c.datanetId)
      return {
        version: e.version,
        root: e.root,
        records: Number(e.recordCount),
        txHash: e.txHash,
        matchesLocal: local ? local.root.toLowerCase() === e.root.toLowerCase() : null,
      }
    }),
  }
}
