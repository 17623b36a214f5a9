/**
 * verify: recompute a model folder's CID (or rebuild the folder of a CID from the store, checking
 * every block), then check it against the chain: a ModelVersionRegistered with that CID, the
 * registered config hash and lineage equal to training.json's, the datanet root on-chain equal to
 * training.json's, and the config hash equal to the hash of training.json's config. With an
 * expected CID whose blocks are in the store, the files that differ are named.
 */
import {existsSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {exporter, recursive} from 'ipfs-unixfs-exporter'

import type {ChainContext} from '../chain/context.js'
import {UsageError, messageOf} from '../errors.js'
import type {TrainingManifest} from '../model/artifact.js'
import {type ArtifactInfo, readArtifactFolder, recomputeConfigHash} from './artifact.js'
import {importFolder} from './cid.js'
import {NullBlockstore} from './blockstore.js'
import {resolveDatanetRef} from './lineage.js'
import {getModel, versionsByCid} from './registry.js'
import {blockstore, exportFolder, parseCid, type StoreOptions} from './store.js'

export type VerifyCheck = {
  check: 'cid' | 'files' | 'artifact' | 'registry' | 'config-hash' | 'lineage' | 'datanet-root' | 'base-model'
  ok: boolean
  message: string
}

export type VerifyModelReturnType = {
  ok: boolean
  cid: string
  source: 'folder' | 'store'
  registered: Array<{modelId: string; version: number; name: string; txHash?: string}>
  checks: VerifyCheck[]
}

export type VerifyModelParameters = StoreOptions & {target: string; expectedCid?: string}

/** Path → CID of every file and folder under a stored root (undefined when its blocks are not here). */
async function storedEntries(cid: string, opts: StoreOptions): Promise<Map<string, string> | undefined> {
  const c = parseCid(cid)
  const bs = blockstore(opts)
  if (!c || !bs.has(c)) return undefined
  const out = new Map<string, string>()
  try {
    for await (const r of recursive(c, bs)) {
      const rel = r.path.split('/').slice(1).join('/')
      if (rel === '') continue
      const e = await exporter(r.cid, bs)
      out.set(rel, e.type === 'directory' ? 'dir' : r.cid.toString())
    }
  } catch {
    return undefined
  }
  return out
}

export async function verifyModel(ctx: ChainContext, params: VerifyModelParameters): Promise<VerifyModelReturnType> {
  const checks: VerifyCheck[] = []
  const add = (check: VerifyCheck['check'], ok: boolean, message: string) => checks.push({check, ok, message})
  let folder = params.target
  let source: 'folder' | 'store' = 'folder'
  let cleanup: string | undefined
  const expected = params.expectedCid ?? (existsSync(params.target) ? undefined : params.target)
  if (params.expectedCid !== undefined && !parseCid(params.expectedCid)) throw new UsageError(`--cid "${params.expectedCid}" is not a CID`)
  if (!existsSync(params.target)) {
    if (!parseCid(params.target)) throw new UsageError(`${params.target} is neither a folder nor a CID`)
    source = 'store'
    cleanup = mkdtempSync(join(tmpdir(), 'openledger-verify-'))
    folder = await exportFolder(params.target, join(cleanup, 'model'), params)
  } else if (!statSync(params.target).isDirectory()) {
    throw new UsageError(`${params.target} is not a folder`)
  }
  try {
    const imported = await importFolder(folder, new NullBlockstore())
    const cid = imported.cid.toString()
    if (expected !== undefined) {
      add('cid', cid === expected, cid === expected ? `CID ${cid}` : `CID is ${cid}, expected ${expected}`)
      if (cid !== expected) {
        const want = await storedEntries(expected, params)
        if (want) {
          const have = new Map(imported.entries.map((e) => [e.path, e.type === 'directory' ? 'dir' : (e.cid ?? '')]))
          const diffs: string[] = []
          for (const [p, c] of have) if (!want.has(p)) diffs.push(`${p} added`)
          for (const [p, c] of want) {
            if (!have.has(p)) diffs.push(`${p} removed`)
            else if (have.get(p) !== c && c !== 'dir') diffs.push(`${p} differs`)
          }
          if (diffs.length) add('files', false, `against ${expected}: ${diffs.join(', ')}`)
        }
      }
    } else {
      add('cid', true, `CID ${cid}`)
    }

    let info: ArtifactInfo | undefined
    try {
      info = readArtifactFolder(folder)
      add('artifact', true, 'a complete model artifact')
    } catch (err) {
      add('artifact', false, messageOf(err))
    }

    const registered = await versionsByCid(ctx, cid)
    const names = new Map<bigint, {name: string; baseModel: string}>()
    for (const r of registered) if (!names.has(r.modelId)) names.set(r.modelId, await getModel(ctx, r.modelId))
    add(
      'registry',
      registered.length > 0,
      registered.length > 0
        ? `registered as ${registered.map((r) => `${names.get(r.modelId)!.name} v${r.version} (model ${r.modelId})`).join(', ')}`
        : `no ModelVersionRegistered event with CID ${cid}: this folder is not a registered model version`,
    )

    if (info) {
      const t: TrainingManifest = info.training
      const recomputed = recomputeConfigHash(t)
      const onChainHashes = registered.filter((r) => r.configHash.toLowerCase() !== t.configHash.toLowerCase())
      const hashOk = recomputed === t.configHash && onChainHashes.length === 0
      add(
        'config-hash',
        hashOk,
        recomputed !== t.configHash
          ? `training.json's configHash ${t.configHash} is not the sha256 of its config (${recomputed})`
          : onChainHashes.length
            ? `registered config hash ${onChainHashes[0].configHash} differs from training.json's ${t.configHash}`
            : `config hash ${t.configHash}`,
      )
      const d = t.datanet
      if (d.id === null || d.version === 'draft') {
        add(
          'datanet-root',
          false,
          `training.json names ${d.version === 'draft' ? 'a draft' : 'a local-only version'} of datanet ${d.name}: no root on-chain`,
        )
      } else {
        // The version on this chain holding training.json's root (its numbers can differ after a restart).
        const ref = await resolveDatanetRef(ctx, d, params.stateDir)
        add(
          'datanet-root',
          ref !== undefined,
          ref
            ? `datanet ${d.name} (id ${ref.datanetId}) v${ref.version} root ${ref.root} is on-chain`
            : `datanet ${d.name}: training.json's root ${d.root} (id ${d.id} v${d.version}) is not on-chain`,
        )
        const bad = registered.filter(
          (r) =>
            !r.datanets.some(
              (x) => ref && x.datanetId === ref.datanetId && x.version === ref.version && x.root.toLowerCase() === ref.root.toLowerCase(),
            ),
        )
        if (registered.length)
          add(
            'lineage',
            bad.length === 0,
            bad.length
              ? `model ${bad[0].modelId} v${bad[0].version} is registered with other datanets than training.json's`
              : 'registered lineage matches training.json',
          )
        const baseBad = registered.filter((r) => names.get(r.modelId)!.baseModel !== t.encoder.id)
        if (registered.length)
          add(
            'base-model',
            baseBad.length === 0,
            baseBad.length
              ? `registered base model ${names.get(baseBad[0].modelId)!.baseModel}, training.json's encoder is ${t.encoder.id}`
              : `base model ${t.encoder.id}`,
          )
      }
    }
    return {
      ok: checks.every((c) => c.ok),
      cid,
      source,
      registered: registered.map((r) => ({
        modelId: r.modelId.toString(),
        version: r.version,
        name: names.get(r.modelId)!.name,
        ...(r.txHash ? {txHash: r.txHash} : {}),
      })),
      checks,
    }
  } finally {
    if (cleanup) rmSync(cleanup, {recursive: true, force: true})
  }
}
