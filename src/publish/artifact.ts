import {existsSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {type ArtifactConfig, ARTIFACT_FORMAT, type TrainingManifest, readArtifactJson, readWeightsFile} from '../model/artifact.js'
import {configHash} from '../model/config.js'
import {messageOf} from '../errors.js'
import {NotAnArtifactError} from './errors.js'
import {type LmTrainingManifest, isLmArtifact} from '../lm/artifact-files.js'
import {readPeftAdapter} from '../lm/peft.js'

export type ArtifactInfo = {path: string; config: ArtifactConfig; training: TrainingManifest; kind?: 'classify' | 'generate'}

const REQUIRED = ['config.json', 'model.safetensors', 'training.json'] as const

/**
 * Checks that a folder is a complete model artifact as `openledger train` writes it: config.json
 * of the right format, training.json, model.safetensors with config.json's tensors, and every
 * checkpoint training.json lists. One clear error naming what is missing or wrong.
 */
export function readArtifactFolder(folder: string): ArtifactInfo {
  const path = resolve(folder)
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new NotAnArtifactError(`${folder}: no such folder`)
  if (isLmArtifact(path)) return readLmArtifactFolder(folder, path)
  const missing = REQUIRED.filter((f) => !existsSync(join(path, f)))
  if (missing.length) {
    throw new NotAnArtifactError(
      `${folder} is not a model artifact: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
      {
        metaMessages: ['`openledger train` writes an artifact folder (config.json, model.safetensors, training.json, checkpoints/).'],
      },
    )
  }
  let config: ArtifactConfig
  let training: TrainingManifest
  try {
    config = readArtifactJson<ArtifactConfig>(join(path, 'config.json'), 'config')
    training = readArtifactJson<TrainingManifest>(join(path, 'training.json'), 'training manifest')
  } catch (err) {
    throw new NotAnArtifactError(`${folder} is not a model artifact: ${messageOf(err)}`, {cause: err})
  }
  if (config?.format !== ARTIFACT_FORMAT || !Array.isArray(config.labels) || !config.tensors || !config.encoder) {
    throw new NotAnArtifactError(`${join(folder, 'config.json')} is not an ${ARTIFACT_FORMAT} config`)
  }
  if (
    !training?.datanet ||
    !training.encoder ||
    !training.config ||
    typeof training.configHash !== 'string' ||
    !Array.isArray(training.records)
  ) {
    throw new NotAnArtifactError(`${join(folder, 'training.json')} lacks datanet, encoder, config, configHash or records`)
  }
  try {
    readWeightsFile(join(path, 'model.safetensors'), config)
  } catch (err) {
    throw new NotAnArtifactError(`${folder} is not a model artifact: ${messageOf(err)}`, {cause: err})
  }
  for (const c of training.checkpoints ?? []) {
    if (!existsSync(join(path, c.path)))
      throw new NotAnArtifactError(`${folder} is not a complete model artifact: checkpoint ${c.path} (listed in training.json) is missing`)
  }
  return {path, config, training}
}

/**
 * A language-model adapter folder (`train --task generate`): PEFT's files, checked, and
 * training.json. Its base stands where a classifier names its encoder, so publish and verify
 * register and check it the same way.
 */
function readLmArtifactFolder(folder: string, path: string): ArtifactInfo {
  const missing = ['adapter_model.safetensors', 'training.json'].filter((f) => !existsSync(join(path, f)))
  if (missing.length)
    throw new NotAnArtifactError(
      `${folder} is not a complete adapter artifact: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`,
    )
  let t: LmTrainingManifest
  try {
    readPeftAdapter(path)
    t = readArtifactJson<LmTrainingManifest>(join(path, 'training.json'), 'training manifest')
  } catch (err) {
    throw new NotAnArtifactError(`${folder} is not an adapter artifact: ${messageOf(err)}`, {cause: err})
  }
  if (t?.kind !== 'generate' || !t.datanet || !t.base || !t.config || typeof t.configHash !== 'string' || !Array.isArray(t.records)) {
    throw new NotAnArtifactError(`${join(folder, 'training.json')} lacks kind "generate", datanet, base, config, configHash or records`)
  }
  const training = {
    ...t,
    encoder: {id: t.base.name, hash: t.base.sha256},
    config: t.config as unknown as TrainingManifest['config'],
  } as unknown as TrainingManifest
  return {path, config: {} as ArtifactConfig, training, kind: 'generate'}
}

/** The config hash as the trainer computes it (sha256 of training.json's config, canonical JSON). */
export function recomputeConfigHash(training: TrainingManifest): string {
  return configHash(training.config)
}
