import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {InferenceSession} from 'onnxruntime-node'

import {cacheDir} from '../../store/paths.js'
import {type Device, loadOrt} from '../backend.js'
import {EncoderError} from '../errors.js'
import {createCachedCpuSession} from '../onnx-session-cache.js'
import {cachedEncoderFilesHash} from './hash.js'
import type {Encoder} from './types.js'
import {VocabIndex} from './vocab-index.js'

export {encoderFilesHash} from './hash.js'

/** A word: letters and digits, joined by inner hyphens or apostrophes. */
export const BUILTIN_WORD_PATTERN = "[\\p{L}\\p{N}]+(?:['-][\\p{L}\\p{N}]+)*"

/** assets/encoder/ of the package (same depth from src/ and dist/). */
export function builtinEncoderDir(): string {
  return process.env.OPENLEDGER_BUILTIN_ENCODER_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'encoder')
}

type BuiltinMeta = {id: string; dim: number; vocabSize: number; maxTokens: number}

/** Turns text into the vocabulary ids the built-in encoder's graph gathers (0 = padding/unknown). */
export class BuiltinTokenizer {
  private readonly ids: {get(word: string): number | undefined}
  private readonly word = new RegExp(BUILTIN_WORD_PATTERN, 'gu')

  /** `vocab`: the words in id order (id = place + 1), or their VocabIndex (the same ids, no Map to build). */
  constructor(
    vocab: string[] | VocabIndex,
    readonly maxTokens: number,
  ) {
    this.ids = vocab instanceof VocabIndex ? {get: (word) => vocab.id(word)} : new Map(vocab.map((w, i) => [w, i + 1]))
  }

  tokenize(text: string): number[] {
    const out: number[] = []
    const normalised = text.normalize('NFKC').toLowerCase().replace(/[’‘]/g, "'")
    for (const m of normalised.matchAll(this.word)) {
      const token = m[0]
      const id = this.ids.get(token)
      if (id !== undefined) {
        out.push(id)
      } else if (/['-]/.test(token)) {
        // GloVe-style vocabularies split clitics and compounds: "atlanta's" → atlanta, "well-known" → well, known.
        for (const part of token.split(/['-]/)) {
          const pid = this.ids.get(part)
          if (pid !== undefined) out.push(pid)
        }
      }
      if (out.length >= this.maxTokens) break
    }
    return out.length > this.maxTokens ? out.slice(0, this.maxTokens) : out
  }
}

const BATCH = 256

/** Loads the built-in encoder (assets/encoder/) on ONNX Runtime; nothing is downloaded. */
export async function loadBuiltinEncoder(device: Device, dir = builtinEncoderDir()): Promise<Encoder> {
  for (const f of ['model.onnx', 'vocab.txt', 'encoder.json']) {
    if (!existsSync(join(dir, f))) {
      throw new EncoderError(`the built-in encoder is missing ${join(dir, f)}`, {
        metaMessages: ['Regenerate it with `npx tsx scripts/build-encoder.ts`, or reinstall openledger.'],
      })
    }
  }
  const meta = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as BuiltinMeta
  // The hash covers vocab.txt, so it keys the vocabulary's index by content.
  const hash = cachedEncoderFilesHash(dir, join(cacheDir(), 'encoder-hash'))
  const vocab = VocabIndex.open(join(dir, 'vocab.txt'), join(cacheDir(), 'tokenizer', `${hash.slice(2)}.bin`))
  const tokenizer = new BuiltinTokenizer(vocab, meta.maxTokens ?? 256)
  const options: InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle pool threads sleep instead of spinning: a server runs this graph in many tiny calls, and
    // spinning threads take the cores its HTTP handling needs (bench/serve.ts).
    extra: {session: {intra_op: {allow_spinning: '0'}}},
  }
  // On the CPU the optimised graph is cached (src/model/onnx-session-cache.ts); other providers
  // optimise for their device, so they start from the model each time.
  const {session, release} =
    device === 'cpu'
      ? await createCachedCpuSession(loadOrt, join(dir, 'model.onnx'), hash, options)
      : await (async () => {
          const s = await (await loadOrt()).InferenceSession.create(join(dir, 'model.onnx'), options)
          return {session: s, release: () => s.release()}
        })()
  const ort = await loadOrt()
  const dim = meta.dim

  return {
    id: `builtin:${meta.id}`,
    hash,
    dim,
    device,
    kind: 'builtin',
    async encode(texts: string[]): Promise<Float32Array> {
      const out = new Float32Array(texts.length * dim)
      const tokens = texts.map((t) => tokenizer.tokenize(t))
      // Rows run in groups of equal token count, so never padded, and never alone (ONNX Runtime
      // takes another kernel path for a batch of one): a text's vector is then the same bits
      // whatever it is batched with, and `serve` (which batches concurrent requests) and `infer`
      // give one receipt per text.
      const order = tokens.map((_, i) => i).sort((a, b) => tokens[a].length - tokens[b].length)
      for (let start = 0; start < order.length; ) {
        const n = tokens[order[start]].length
        let end = start + 1
        while (end < order.length && end - start < BATCH && tokens[order[end]].length === n) end++
        const idx = order.slice(start, end)
        const rows = idx.length === 1 ? [idx[0], idx[0]] : idx
        const len = Math.max(1, n)
        const ids = new BigInt64Array(rows.length * len)
        rows.forEach((i, row) => {
          const t = tokens[i]
          for (let j = 0; j < t.length; j++) ids[row * len + j] = BigInt(t[j])
        })
        const res = await session.run({input_ids: new ort.Tensor('int64', ids, [rows.length, len])})
        const data = res.sentence_embedding.data as Float32Array
        idx.forEach((i, row) => out.set(data.subarray(row * dim, (row + 1) * dim), i * dim))
        start = end
      }
      return out
    },
    async dispose() {
      await release()
    },
  }
}
