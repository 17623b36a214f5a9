import {existsSync, statSync} from 'node:fs'
import {basename, join, resolve} from 'node:path'

import {cacheDir} from '../../store/paths.js'
import {type Device, loadTransformers} from '../backend.js'
import {EncoderError} from '../errors.js'
import {cachedEncoderFilesHash} from './hash.js'
import type {Encoder} from './types.js'

const BATCH = 32

export function isLocalEncoderSpec(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('~') || /^[A-Za-z]:[\\/]/.test(spec) || existsSync(spec)
}

function howToFix(spec: string): string[] {
  return [
    `Download it once where the hub is reachable, or point --encoder at a local folder with config.json, tokenizer.json and onnx/model.onnx (${spec.split('/').pop()}).`,
    'Or use the built-in offline encoder: --encoder builtin.',
  ]
}

/**
 * Any feature-extraction model transformers.js loads: a local folder (config.json, tokenizer.json,
 * onnx/model.onnx) or a hub id (fetched only when `allowRemote`). Mean-pooled and L2-normalised.
 */
export async function loadTransformersEncoder(spec: string, device: Device, options: {allowRemote: boolean}): Promise<Encoder> {
  const local = isLocalEncoderSpec(spec)
  const path = local ? resolve(spec) : spec
  if (local) {
    if (!existsSync(path) || !statSync(path).isDirectory())
      throw new EncoderError(`--encoder ${spec}: no such folder`, {metaMessages: howToFix(spec)})
    for (const f of ['config.json', 'tokenizer.json']) {
      if (!existsSync(join(path, f)))
        throw new EncoderError(`--encoder ${spec}: ${f} is missing in ${path}`, {metaMessages: howToFix(spec)})
    }
    if (!existsSync(join(path, 'onnx', 'model.onnx'))) {
      throw new EncoderError(`--encoder ${spec}: onnx/model.onnx is missing in ${path}`, {metaMessages: howToFix(spec)})
    }
  }
  const t = await loadTransformers({allowRemote: options.allowRemote && !local})
  const cached = join(t.env.cacheDir ?? '', spec)
  if (!local && !options.allowRemote && !existsSync(join(cached, 'config.json'))) {
    throw new EncoderError(`cannot fetch the hub model ${spec}: the Hugging Face hub is not reachable and it is not in the cache`, {
      metaMessages: howToFix(spec),
    })
  }
  let extractor: Awaited<ReturnType<typeof t.pipeline<'feature-extraction'>>>
  try {
    extractor = await t.pipeline('feature-extraction', path, {device, dtype: 'fp32'})
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]
    if (local)
      throw new EncoderError(`--encoder ${spec}: transformers.js cannot load it (${reason})`, {cause: err, metaMessages: howToFix(spec)})
    throw new EncoderError(`cannot fetch the hub model ${spec} (${reason})`, {cause: err, metaMessages: howToFix(spec)})
  }
  const hashDir = local ? path : cached
  const hash = existsSync(hashDir) ? cachedEncoderFilesHash(hashDir, join(cacheDir(), 'encoder-hash')) : `hub:${spec}`
  let dim = 0

  return {
    id: local ? `local:${basename(path)}` : spec,
    hash,
    get dim() {
      return dim
    },
    device,
    kind: 'transformers',
    async encode(texts: string[]): Promise<Float32Array> {
      const parts: Float32Array[] = []
      for (let i = 0; i < texts.length; i += BATCH) {
        const out = await extractor(texts.slice(i, i + BATCH), {pooling: 'mean', normalize: true})
        dim = out.dims[out.dims.length - 1]
        parts.push(Float32Array.from(out.data as Float32Array))
      }
      const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
      let off = 0
      for (const p of parts) {
        all.set(p, off)
        off += p.length
      }
      return all
    },
    async dispose() {
      await extractor.dispose()
    },
  } as Encoder & {dim: number}
}

/** Encodes one short text so `dim` is known before anything else uses it. */
export async function primeDim(encoder: Encoder): Promise<void> {
  if (encoder.dim === 0) await encoder.encode(['dimension probe'])
}
