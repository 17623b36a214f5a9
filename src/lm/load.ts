import {existsSync, statSync} from 'node:fs'
import {resolve} from 'node:path'

import {type LlamaConfig, readLlamaConfig} from './config.js'
import {LmModelError} from './errors.js'
import {type LlamaModel, buildLlama} from './model.js'
import {type LmTokenizer, loadLmTokenizer} from './tokenizer.js'
import {readLlamaWeights} from './weights.js'

export type LlamaBase = {dir: string; config: LlamaConfig; model: LlamaModel; tokenizer: LmTokenizer}

/**
 * Loads a local Hugging Face Llama folder: config.json (checked), model.safetensors or shards (F32,
 * F16 or BF16, widened to f32; names and shapes checked against the config), tokenizer.json.
 * Select the device first (`selectLmDevice`): the weights go to the active tfjs backend.
 */
export async function loadLlamaBase(dir: string): Promise<LlamaBase> {
  const path = resolve(dir)
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new LmModelError(`${dir}: no such folder (a base model is a folder with config.json, model.safetensors and tokenizer.json)`)
  const config = readLlamaConfig(path)
  const tokenizer = await loadLmTokenizer(path)
  const model = buildLlama(config, readLlamaWeights(path, config))
  return {dir: path, config, model, tokenizer}
}

/** The model alone (no tokenizer), for callers that work on token ids. */
export function loadLlamaModel(dir: string): LlamaModel {
  const path = resolve(dir)
  const config = readLlamaConfig(path)
  return buildLlama(config, readLlamaWeights(path, config))
}
