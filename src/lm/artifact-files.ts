/**
 * What marks a folder as a generative (LoRA adapter) artifact and what its training.json holds,
 * without loading the engine: publish and verify read these.
 */
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {ADAPTER_CONFIG_FILE} from './peft.js'
import type {LmEpochRecord, LmHyperparameters} from './train.js'

/** `kind` in training.json: what tells a generative artifact from a classifier. */
export const LM_ARTIFACT_KIND = 'generate'

export type LmTrainingManifest = {
  kind: typeof LM_ARTIFACT_KIND
  datanet: {name: string; id: string | null; version: number | 'draft'; root: string}
  base: {name: string; path: string; sha256: string}
  /** Which record layout was found: causal LM on `text`, or loss on `response` after `prompt`. */
  format: 'text' | 'prompt-response'
  hyperparameters: LmHyperparameters
  /** What configHash hashes (canonical JSON, sha256): the kind, the base's weights and the hyperparameters. */
  config: {kind: typeof LM_ARTIFACT_KIND; base: string} & LmHyperparameters
  configHash: string
  device: string
  metrics: {
    epochs: LmEpochRecord[]
    bestEpoch: number
    stoppedEarly: boolean
    baseValLoss: number | null
    bestValLoss: number | null
    trainTokens: number
    tokensPerSecond: number
  }
  split: {train: number; val: number}
  excludedRecords: string[]
  /** Every record used, in datanet order. */
  records: Array<{recordHash: string; contributor: string; split: 'train' | 'val'}>
}

/** True when `dir` holds a generative artifact (a PEFT adapter) rather than a classifier. */
export function isLmArtifact(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG_FILE))
}
