/** A model reference (folder, CID or registered name) → a local artifact folder, rebuilt from the content store when needed. */
import {existsSync, statSync} from 'node:fs'
import {resolve} from 'node:path'

import type {ChainSelection} from '../chain/context.js'
import {ContentNotFoundError} from './errors.js'
import type {StoreOptions} from './store.js'

export type ResolvedModel = {path: string; cid?: string; name?: string; via: 'folder' | 'cid' | 'name'}

export type ResolveModelOptions = StoreOptions & {
  /** Chain to ask for a registered name not known locally (default: the devnet of this folder, if any). */
  chain?: ChainSelection | false
}

export async function resolveModel(ref: string, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const path = resolve(ref)
  if (existsSync(path) && statSync(path).isDirectory()) return {path, via: 'folder'}
  // The content store (IPFS libraries) and the chain (viem) only for a CID or a name: a folder starts fast.
  const [{materialise, parseCid, storedRoots}, {resolveChain}, {getModel, getModelVersion, modelIdByName}] = await Promise.all([
    import('./store.js'),
    import('../chain/context.js'),
    import('./registry.js'),
  ])
  const store = {stateDir: opts.stateDir}
  if (parseCid(ref)) {
    const cid = parseCid(ref)!.toV1().toString()
    return {path: await materialise(cid, store), cid, via: 'cid'}
  }
  const local = Object.values(storedRoots(store))
    .filter((r) => r.name === ref)
    .sort((a, b) => (a.addedAt < b.addedAt ? 1 : -1))[0]
  if (local) return {path: await materialise(local.cid, store), cid: local.cid, name: ref, via: 'name'}
  if (opts.chain !== false) {
    let cid: string | undefined
    try {
      const ctx = await resolveChain({...(opts.chain || {}), stateDir: opts.stateDir})
      const id = await modelIdByName(ctx, ref)
      if (id !== 0n) {
        const m = await getModel(ctx, id)
        cid = (await getModelVersion(ctx, id, m.versionCount)).artifactCid
      }
    } catch {
      cid = undefined
    }
    if (cid) return {path: await materialise(cid, store), cid, name: ref, via: 'name'}
  }
  throw new ContentNotFoundError(`model "${ref}": no such folder, and not a CID or a model name known here`, [
    'Give an artifact folder, a CID in the local store, or a name registered with `openledger publish`.',
  ])
}
