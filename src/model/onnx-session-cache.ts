/**
 * An ONNX Runtime CPU session whose optimised graph is kept between processes. Creating the built-in
 * encoder's session from model.onnx (parse 8 MB, fold its half-float table into floats, optimise) was
 * the largest part of `infer --text` after Node itself (npm run bench -- cli). The first session
 * saves the optimised graph in ONNX Runtime's own format (`optimizedModelFilePath` ending in .ort);
 * later ones load those bytes with optimisation off and use them in place, without a copy. It is the
 * same graph the first session runs, so the same kernels give the same bits (test/model/encoder-caches).
 *
 * ONNX Runtime says a graph optimised at the 'all' level may hold rewrites for the machine it was
 * made on, so the key holds the CPU model with the model's content hash, the runtime's version and
 * the options. A cached graph that fails to load is removed and the session made from the model.
 */
import {createHash} from 'node:crypto'
import {mkdirSync, renameSync, rmSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {cpus} from 'node:os'
import {dirname, join} from 'node:path'

import type {InferenceSession} from 'onnxruntime-node'

import {cacheDir} from '../store/paths.js'

type Ort = typeof import('onnxruntime-node')

export type CachedSession = {
  session: InferenceSession
  /** Whether the optimised graph came from the cache. */
  fromCache: boolean
  release(): Promise<void>
}

/** The cache file for this model (by content hash), runtime, machine and options. */
function cachedGraphFile(contentHash: string, options: InferenceSession.SessionOptions): string {
  // The runtime's version from its package.json: known before ONNX Runtime itself is loaded.
  const runtime = (createRequire(import.meta.url)('onnxruntime-node/package.json') as {version: string}).version
  const key = createHash('sha256')
    .update(JSON.stringify([contentHash, runtime, process.arch, cpus()[0]?.model ?? '', options]))
    .digest('hex')
    .slice(0, 40)
  return join(cacheDir(), 'onnx', `${key}.ort`)
}

/**
 * A CPU session for `modelFile`, its optimised graph from the cache when there, else made and saved.
 * `loadOrt` is called once the cached graph is being read, so the two overlap.
 */
export async function createCachedCpuSession(
  loadOrt: () => Promise<Ort>,
  modelFile: string,
  contentHash: string,
  options: InferenceSession.SessionOptions,
): Promise<CachedSession> {
  const file = cachedGraphFile(contentHash, options)
  // Read on libuv's pool while ONNX Runtime's library loads on this thread (16 MB: its page faults
  // alone are a few milliseconds).
  const reading = readFile(file).catch(() => undefined)
  const ort = await loadOrt()
  let bytes: Buffer | undefined = await reading
  if (bytes) {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        ...options,
        graphOptimizationLevel: 'disabled',
        extra: {
          ...options.extra,
          session: {
            ...(options.extra?.session as Record<string, unknown> | undefined),
            use_ort_model_bytes_directly: '1',
            use_ort_model_bytes_for_initializers: '1',
          },
        },
      })
      return {
        session,
        fromCache: true,
        // The session reads its weights from `bytes`: they must live as long as it does.
        release: async () => {
          await session.release()
          bytes = undefined
        },
      }
    } catch {
      rmSync(file, {force: true})
    }
  }
  // ONNX Runtime writes the file itself: into a temp name (ending .ort, which picks the format),
  // renamed into place once complete, so no reader sees half of it. A cache that cannot be written
  // only costs the time it would have saved.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp.ort`
  let session: InferenceSession
  try {
    mkdirSync(dirname(file), {recursive: true})
    session = await ort.InferenceSession.create(modelFile, {...options, optimizedModelFilePath: tmp})
    renameSync(tmp, file)
  } catch {
    session ??= await ort.InferenceSession.create(modelFile, options)
  } finally {
    rmSync(tmp, {force: true})
  }
  return {session, fromCache: false, release: () => session.release()}
}
