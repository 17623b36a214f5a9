import {loadDatanetVersion} from '../datanet/index.js'
import {ExitCode, OpenledgerError} from '../errors.js'

/** What training reads from a datanet version (records already verified against its Merkle root). */
export type TrainRecord = {recordHash: string; contributor: string; fields: Record<string, unknown>}
export type TrainSource = {name: string; datanetId: string | null; version: number | 'draft'; root: string; records: TrainRecord[]}

export type LoadDatanetSourceParameters = {name: string; version?: number; stateDir?: string; allowDraft?: boolean}

/**
 * Loads a published datanet version (latest unless `version`), its records verified against the
 * version's Merkle root by src/datanet. The draft only with `allowDraft`.
 */
export async function loadDatanetSource(params: LoadDatanetSourceParameters): Promise<TrainSource> {
  let v: Awaited<ReturnType<typeof loadDatanetVersion>>
  try {
    v = await loadDatanetVersion(params.name, {version: params.version, stateDir: params.stateDir, allowDraft: params.allowDraft})
  } catch (err) {
    // A datanet with only a draft: say how to train on it anyway.
    if (err instanceof OpenledgerError && err.code === 'E_VERSION_NOT_FOUND' && params.version === undefined && !params.allowDraft) {
      throw new OpenledgerError(err.code, `datanet "${params.name}" has no published version to train on`, {
        exitCode: err.exitCode,
        cause: err,
        metaMessages: ['Publish it with `openledger datanet publish`, or train on the unpublished draft with --allow-draft.'],
      })
    }
    throw err
  }
  if (v.version === 'draft' && !params.allowDraft) {
    throw new OpenledgerError(
      'E_DRAFT_DATANET',
      `datanet ${params.name} has no published version; publish it first or pass --allow-draft`,
      {exitCode: ExitCode.usage},
    )
  }
  return {name: v.name, datanetId: v.datanetId ?? null, version: v.version, root: v.root, records: v.records}
}
