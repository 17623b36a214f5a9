import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {CorruptFileError, writeFileAtomic} from '../../store/atomic.js'
import {AttributionInputError} from '../errors.js'
import type {AttributionInput} from '../types.js'
import type {Attributor} from './attributor.js'
import {defaultDamping, factorHeadHessian, type HeadHessian, type HessianOptions} from './head-hessian.js'

const HF_MAGIC = 0x46484c4f // 'OLHF'
const HF_VERSION = 1
const HF_HEADER = 96

/** A key that changes with anything the factor depends on: weights, encoder outputs, labels, λ. */
export function hessianKey(input: AttributionInput, damping: number): string {
  const h = createHash('sha256')
  h.update(`olhf1:${input.N}:${input.D}:${input.C}:${input.r}:${damping}`)
  for (const a of [input.W, input.A, input.B, input.H]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  h.update(new Uint8Array(input.labels.buffer, input.labels.byteOffset, input.labels.byteLength))
  return h.digest('hex')
}

/** Writes a dense factor: a 96-byte header (magic, version, C, P, λ, key) then L row-major. */
export function saveHeadHessian(path: string, Hf: HeadHessian, key: string): void {
  if (Hf.kind !== 'dense') throw new AttributionInputError('only a dense head Hessian factor can be cached')
  const n = Hf.C * Hf.P
  const buf = new Uint8Array(HF_HEADER + n * n * 8)
  const dv = new DataView(buf.buffer)
  dv.setUint32(0, HF_MAGIC, true)
  dv.setUint32(4, HF_VERSION, true)
  dv.setUint32(8, Hf.C, true)
  dv.setUint32(12, Hf.P, true)
  dv.setFloat64(16, Hf.damping, true)
  buf.set(Buffer.from(key.padEnd(64, ' ').slice(0, 64), 'ascii'), 24)
  buf.set(new Uint8Array(Hf.L.buffer, Hf.L.byteOffset, Hf.L.byteLength), HF_HEADER)
  writeFileAtomic(path, buf)
}

/** Loads a cached factor with one read; undefined when missing or made for another key. */
export function loadHeadHessian(path: string, key: string): HeadHessian | undefined {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (buf.length < HF_HEADER) throw new CorruptFileError(path, 'not a head Hessian cache (too short)')
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length)
  if (dv.getUint32(0, true) !== HF_MAGIC) throw new CorruptFileError(path, 'not a head Hessian cache (bad magic)')
  if (dv.getUint32(4, true) !== HF_VERSION) return undefined
  const C = dv.getUint32(8, true)
  const P = dv.getUint32(12, true)
  const damping = dv.getFloat64(16, true)
  const stored = buf.subarray(24, 88).toString('ascii').trimEnd()
  if (stored !== key) return undefined
  const n = C * P
  if (buf.length !== HF_HEADER + n * n * 8) throw new CorruptFileError(path, 'truncated head Hessian cache')
  const off = buf.byteOffset + HF_HEADER
  const L = off % 8 === 0 ? new Float64Array(buf.buffer, off, n * n) : new Float64Array(buf.buffer.slice(off, off + n * n * 8))
  return {kind: 'dense', C, P, damping, L, key}
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
