import {join} from 'node:path'

import {readJsonFile, writeJsonAtomic} from '../store/atomic.js'

/**
 * `.openledger/dev-state.json`: what the last `dev` run produced, so the next one can skip it.
 * A cache only: the datanets' manifests and the artifacts' training.json are checked before
 * anything is skipped.
 */
export type DevState = {
  version: 1
  datanets: Record<string, {version: number; root: string; records: number; chainId?: number; datanetId?: string; updatedAt: string}>
  models: Record<
    string,
    {
      datanet: string
      root: string
      configHash: string
      artifact: string
      cid?: string
      modelId?: string
      modelVersion?: number
      txHash?: string
      updatedAt: string
    }
  >
  agent?: {address: string; staked: string; updatedAt: string}
}

export const devStatePath = (stateDir: string) => join(stateDir, 'dev-state.json')

export function readDevState(stateDir: string): DevState {
  const s = readJsonFile<DevState>(devStatePath(stateDir))
  if (!s || s.version !== 1 || typeof s.datanets !== 'object' || typeof s.models !== 'object') return {version: 1, datanets: {}, models: {}}
  return s
}

export function writeDevState(stateDir: string, state: DevState): void {
  writeJsonAtomic(devStatePath(stateDir), state)
}
