import {createHash} from 'node:crypto'

import {readCacheFile, writeSafetensorsFile} from '../../model/safetensors.js'
import {CorruptFileError} from '../../store/atomic.js'
import {AttributionInputError} from '../errors.js'
import type {AttributionInput} from '../types.js'
import type {Attributor} from './attributor.js'
import {defaultDamping, factorHeadHessian, type HeadHessian, type HessianOptions} from './head-hessian.js'

/** Bumped when the cache's meaning changes; a file of another version is a miss. */
const HESSIAN_CACHE_VERSION = '2'
const HESSIAN_CACHE_FORMAT = 'openledger-head-hessian'

/** A key that changes with anything the factor depends on: weights, encoder outputs, labels, λ. */
export function hessianKey(input: AttributionInput, damping: number): string {
  const h = createHash('sha256')
  h.update(`olhf1:${input.N}:${input.D}:${input.C}:${input.r}:${damping}`)
  for (const a of [input.W, input.A, input.B, input.H]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  h.update(new Uint8Array(input.labels.buffer, input.labels.byteOffset, input.labels.byteLength))
  return h.digest('hex')
}

/**
 * Writes a dense factor as safetensors: tensor `L` (F64, n×n, row-major) with `__metadata__`
 * {format, version, key, C, P, damping}, streamed and renamed into place.
 */
export function saveHeadHessian(path: string, Hf: HeadHessian, key: string): void {
  if (Hf.kind !== 'dense') throw new AttributionInputError('only a dense head Hessian factor can be cached')
  const n = Hf.C * Hf.P
  writeSafetensorsFile(path, [{name: 'L', dtype: 'F64', shape: [n, n], data: Hf.L}], {
    format: HESSIAN_CACHE_FORMAT,
    version: HESSIAN_CACHE_VERSION,
    key,
    C: String(Hf.C),
    P: String(Hf.P),
    damping: String(Hf.damping),
  })
}

/** Loads a cached factor; undefined when missing, of another version or made for another key. */
export function loadHeadHessian(path: string, key: string): HeadHessian | undefined {
  // A missing, damaged or stale file (also one in the earlier private format) is rebuilt and replaced.
  return readCacheFile(path, {format: HESSIAN_CACHE_FORMAT, version: HESSIAN_CACHE_VERSION, key}, (file) => {
    const m = file.metadata
    const C = Number(m.C)
    const P = Number(m.P)
    const info = file.info('L')
    if (info.dtype !== 'F64' || info.shape.length !== 2 || info.shape[0] !== C * P || info.shape[1] !== C * P) {
      throw new CorruptFileError(path, `tensor L is ${info.dtype} ${JSON.stringify(info.shape)}, expected F64 [${C * P}, ${C * P}]`)
    }
    return {kind: 'dense' as const, C, P, damping: Number(m.damping), L: file.read<'F64'>('L'), key}
  })
}

/** Cached factor when present for this key, else factor and cache it. */
export function loadOrFactorHeadHessian(att: Attributor, path: string, opts: HessianOptions = {}): HeadHessian {
  const damping = opts.damping ?? defaultDamping(att.input)
  const key = hessianKey(att.input, damping)
  const cached = loadHeadHessian(path, key)
  if (cached) return cached
  const Hf = factorHeadHessian(att, {...opts, damping})
  if (Hf.kind === 'dense') saveHeadHessian(path, Hf, key)
  return {...Hf, key}
}
