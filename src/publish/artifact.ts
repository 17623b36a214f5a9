import {existsSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {type ArtifactConfig, ARTIFACT_FORMAT, type TrainingManifest, readArtifactJson, readWeightsFile} from '../model/artifact.js'
import {configHash} from '../model/config.js'
import {messageOf} from '../errors.js'
import {NotAnArtifactError} from './errors.js'

export type ArtifactInfo = {path: string; config: ArtifactConfig; training: TrainingManifest}

const REQUIRED = ['config.json', 'model.safetensors', 'training.json'] as const

/**
 * Checks that a folder is a complete model artifact as `openledger train` writes it: config.json
 * of the right format, training.json, model.safetensors with config.json's tensors, and every
 * checkpoint training.json lists. One clear error naming what is missing or wrong.
 */
export function readArtifactFolder(folder: string): ArtifactInfo {
  const path = resolve(folder)
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new NotAnArtifactError(`${folder}: no such folder`)
  const missing = REQUIRED.filter((f) => !existsSync(join(path, f)))
  if (missing.length) {
    throw new NotAnArtifactError(`${folder} is not a model artifact: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`, {
      metaMessages: ['`openledger train` writes an artifact folder (config.json, model.safetensors, training.json, checkpoints/).'],
    })
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
  if (!training?.datanet || !training.encoder || !training.config || typeof training.configHash !== 'string' || !Array.isArray(training.records)) {
    throw new NotAnArtifactError(`${join(folder, 'training.json')} lacks datanet, encoder, config, configHash or records`)
  }
  try {
    readWeightsFile(join(path, 'model.safetensors'), config)
  } catch (err) {
    throw new NotAnArtifactError(`${folder} is not a model artifact: ${messageOf(err)}`, {cause: err})
  }
  for (const c of training.checkpoints ?? []) {
    if (!existsSync(join(path, c.path))) throw new NotAnArtifactError(`${folder} is not a complete model artifact: checkpoint ${c.path} (listed in training.json) is missing`)
  }
  return {path, config, training}
}

/** The config hash as the trainer computes it (sha256 of training.json's config, canonical JSON). */
export function recomputeConfigHash(training: TrainingManifest): string {
  return configHash(training.config)
}
