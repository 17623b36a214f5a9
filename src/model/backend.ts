import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {cacheDir} from '../store/paths.js'
import {DeviceUnavailableError} from './errors.js'

export const DEVICES = ['auto', 'cpu', 'webgpu', 'cuda'] as const
export type DeviceRequest = (typeof DEVICES)[number]
export type Device = Exclude<DeviceRequest, 'auto'>

/** The order `auto` tries: the fastest provider that actually starts a session wins. */
const AUTO_ORDER: Device[] = ['cuda', 'webgpu', 'cpu']

type Ort = typeof import('onnxruntime-node')
let ortPromise: Promise<Ort> | undefined

/** onnxruntime-node, loaded on first use so that commands that never run a model start fast. */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then((m) => {
    const ort = ((m as unknown as {default?: Ort}).default ?? m) as Ort
    ort.env.logLevel = 'error'
    return ort
  })
  return ortPromise
}

// y = x · I₄ₓ₂: the smallest graph that makes a provider compile and run a kernel.
const PROBE_MODEL_B64 =
  'CAgSCm9wZW5sZWRnZXI6dAoUCgF4CgF3EgF5GgF5IgZNYXRNdWwSBXByb2JlKisKAgQCEAFCAXdKIAAAgD8AAAAAAAAAAAAAgD8AAIA/AAAAAAAAAAAAAIA/WhMKAXgSDgoMCAESCAoCCAEKAggEYhMKAXkSDgoMCAESCAoCCAEKAggCQgQKABAN'

export type DeviceProbe = {device: Device; ok: boolean; reason?: string}

const probeCache = new Map<Device, Promise<DeviceProbe>>()

/** Whether the CUDA provider library ships with this onnxruntime-node install (it is optional). */
function cudaLibraryPresent(): boolean {
  try {
    const require = createRequire(import.meta.url)
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'))
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch)
    return existsSync(join(dir, 'libonnxruntime_providers_cuda.so')) || existsSync(join(dir, 'onnxruntime_providers_cuda.dll'))
  } catch {
    return false
  }
}

/**
 * WebGPU runs on Vulkan on Linux. Without a Vulkan loader the provider cannot start, and probing it
 * anyway makes Dawn print a warning on stderr: check for libvulkan.so.1 first.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/lib/x86_64-linux-gnu']
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1')
  } catch {
    return false
  }
}

/** Creates and runs a tiny session on `device`; any failure means the device is not usable here. */
export function probeDevice(device: Device): Promise<DeviceProbe> {
  let p = probeCache.get(device)
  if (!p) {
    p = (async (): Promise<DeviceProbe> => {
      if (device === 'cuda' && !cudaLibraryPresent()) {
        return {device, ok: false, reason: 'the CUDA execution provider is not installed (reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)'}
      }
      if (device === 'webgpu' && !vulkanLoaderPresent()) {
        return {device, ok: false, reason: 'no Vulkan loader (libvulkan.so.1), which WebGPU needs on Linux'}
      }
      try {
        const ort = await loadOrt()
        const session = await ort.InferenceSession.create(Buffer.from(PROBE_MODEL_B64, 'base64'), {
          executionProviders: [device],
          logSeverityLevel: 4,
        })
        const out = await session.run({x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4])})
        const y = out.y.data as Float32Array
        await session.release()
        if (y[0] !== 4 || y[1] !== 6) return {device, ok: false, reason: 'the probe model gave a wrong result'}
        return {device, ok: true}
      } catch (err) {
        return {device, ok: false, reason: firstLine(err)}
      }
    })()
    probeCache.set(device, p)
  }
  return p
}

export type ResolvedDevice = {device: Device; requested: DeviceRequest; tried: DeviceProbe[]}

/**
 * Maps `--device` to an execution provider that works here. `auto` tries cuda, then webgpu, then cpu;
 * an explicit device that cannot start a session is an error naming `--device`.
 */
export async function resolveDevice(requested: DeviceRequest = 'auto'): Promise<ResolvedDevice> {
  if (!(DEVICES as readonly string[]).includes(requested)) {
    throw new DeviceUnavailableError(`--device ${requested} is not one of ${DEVICES.join(', ')}`)
  }
  if (requested !== 'auto') {
    const probe = await probeDevice(requested)
    if (!probe.ok) {
      throw new DeviceUnavailableError(`--device ${requested} is not available on this machine: ${probe.reason}`, {
        metaMessages: ['Use --device auto (falls back to cpu) or --device cpu.'],
      })
    }
    return {device: requested, requested, tried: [probe]}
  }
  const tried: DeviceProbe[] = []
  for (const device of AUTO_ORDER) {
    const probe = await probeDevice(device)
    tried.push(probe)
    if (probe.ok) return {device, requested, tried}
  }
  throw new DeviceUnavailableError('no ONNX Runtime execution provider works here, not even cpu')
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text
  return line.length > 200 ? line.slice(0, 200) + '…' : line
}

type Transformers = typeof import('@huggingface/transformers')
let transformersPromise: Promise<Transformers> | undefined

export type TransformersOptions = {
  /** Whether models may be fetched from the Hugging Face hub (false: local folders and the cache only). */
  allowRemote: boolean
}

/** @huggingface/transformers, loaded on first use, with its cache under openledger's cache folder. */
export async function loadTransformers(options: TransformersOptions): Promise<Transformers> {
  transformersPromise ??= import('@huggingface/transformers')
  const t = await transformersPromise
  t.env.cacheDir = join(cacheDir(), 'transformers')
  t.env.allowRemoteModels = options.allowRemote
  t.env.allowLocalModels = true
  return t
}

/**
 * Whether the hub may be used: OPENLEDGER_OFFLINE / HF_HUB_OFFLINE force offline; otherwise a quick
 * HEAD request to the hub decides (so an offline machine fails fast with a clear message).
 */
export async function hubReachable(timeoutMs = 1500): Promise<boolean> {
  if (process.env.OPENLEDGER_OFFLINE === '1' || process.env.HF_HUB_OFFLINE === '1') return false
  try {
    const res = await fetch('https://huggingface.co/api/health', {method: 'HEAD', signal: AbortSignal.timeout(timeoutMs)})
    return res.status < 500
  } catch {
    return false
  }
}
