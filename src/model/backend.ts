import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'

import {readJsonFile, writeJsonAtomic} from '../store/atomic.js'
import {cacheDir} from '../store/paths.js'
import {adapterName, isSoftwareAdapter, vulkanLoaderPresent} from '../util/gpu.js'
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

/** `software`: the WebGPU adapter is a CPU rasterizer (see isSoftwareAdapter); `adapter`: its name. */
export type DeviceProbe = {device: Device; ok: boolean; reason?: string; adapter?: string; software?: boolean}

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

/** Creates and runs a tiny session on `device` (cpu: loads ONNX Runtime); any failure means the device is not usable here. */
export function probeDevice(device: Device): Promise<DeviceProbe> {
  let p = probeCache.get(device)
  if (!p) {
    p = (async (): Promise<DeviceProbe> => {
      if (device === 'cuda' && !cudaLibraryPresent()) {
        return {
          device,
          ok: false,
          reason: 'the CUDA execution provider is not installed (reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)',
        }
      }
      if (device === 'webgpu') {
        if (!vulkanLoaderPresent()) return {device, ok: false, reason: 'no Vulkan loader (libvulkan.so.1), which WebGPU needs on Linux'}
        return probeWebgpuCached()
      }
      try {
        const ort = await loadOrt()
        // The CPU provider is part of every onnxruntime-node build: loading the binding is the check.
        // A probe session would add about 10 ms of CPU to every `infer --text` (npm run bench -- cli).
        if (device === 'cpu') return {device, ok: true}
        return checkProbeOutput(device, await runProbe(ort, device))
      } catch (err) {
        return {device, ok: false, reason: firstLine(err)}
      }
    })()
    probeCache.set(device, p)
  }
  return p
}

async function runProbe(ort: Ort, device: Device): Promise<number[]> {
  const session = await ort.InferenceSession.create(Buffer.from(PROBE_MODEL_B64, 'base64'), {
    executionProviders: [device],
    logSeverityLevel: 4,
  })
  const out = await session.run({x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4])})
  const y = out.y.data as Float32Array
  await session.release()
  return [y[0], y[1]]
}

function checkProbeOutput(device: Device, y: number[]): DeviceProbe {
  return y[0] === 4 && y[1] === 6 ? {device, ok: true} : {device, ok: false, reason: 'the probe model gave a wrong result'}
}

/** Where the WebGPU probe's answer is kept, with the key it holds for. */
export const webgpuProbeCachePath = () => join(cacheDir(), 'device-probe-webgpu.json')

type WebgpuProbeFile = {key: string; probe: DeviceProbe}

/**
 * Starting a WebGPU adapter takes 0.4–0.5 s and makes Dawn print warnings on stderr, and `--device
 * auto` asks on every call: the answer is kept on disk until something it depends on changes (see
 * webgpuProbeKey). The probe itself runs in a child process, so that Dawn's stderr is captured (shown
 * with OPENLEDGER_DEBUG) rather than written over the command's own output.
 */
async function probeWebgpuCached(): Promise<DeviceProbe> {
  const key = webgpuProbeKey()
  const path = webgpuProbeCachePath()
  let cached: WebgpuProbeFile | undefined
  try {
    cached = readJsonFile<WebgpuProbeFile>(path)
  } catch {
    // A corrupt cache file is only a lost answer: probe again and overwrite it.
  }
  if (cached?.key === key && cached.probe?.device === 'webgpu' && typeof cached.probe.ok === 'boolean') return cached.probe
  const probe = await probeInChild('webgpu')
  try {
    writeJsonAtomic(path, {key, probe} satisfies WebgpuProbeFile)
  } catch {
    // A read-only cache folder costs the next call a probe, nothing more.
  }
  return probe
}

/**
 * What the WebGPU answer depends on: the ONNX Runtime build (its WebGPU provider embeds Dawn), the
 * webgpu package, Node's ABI, the Vulkan ICD manifests present (and the variables that choose them),
 * the kernel GPU drivers' versions and the GPU device nodes.
 */
export function webgpuProbeKey(env: NodeJS.ProcessEnv = process.env): string {
  const parts: unknown[] = [
    2,
    process.platform,
    process.arch,
    process.versions.modules,
    packageVersion('onnxruntime-node'),
    packageVersion('webgpu'),
  ]
  for (const v of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES', 'LD_LIBRARY_PATH', 'XDG_DATA_DIRS'])
    parts.push(env[v] ?? null)
  for (const dir of ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/dev/dri']) parts.push(listing(dir))
  for (const file of [
    '/proc/driver/nvidia/version',
    '/sys/module/nvidia/version',
    '/sys/module/amdgpu/version',
    '/sys/module/i915/version',
  ])
    parts.push(readOrNull(file))
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex')
}

function packageVersion(name: string): string | null {
  try {
    const require = createRequire(import.meta.url)
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {version: string}).version
  } catch {
    return null
  }
}

/** Names with size and modification time: an ICD manifest edited in place changes the key too. */
function listing(dir: string): string[] | null {
  try {
    return readdirSync(dir)
      .sort()
      .map((name) => {
        try {
          const st = statSync(join(dir, name))
          return `${name}:${st.size}:${st.mtimeMs}`
        } catch {
          return name
        }
      })
  } catch {
    return null
  }
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/** Runs the probe model on `device` in a child Node process; its stderr is kept off ours. */
function probeInChild(device: Device): Promise<DeviceProbe> {
  let ortUrl: string
  try {
    ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href
  } catch (err) {
    return Promise.resolve({device, ok: false, reason: firstLine(err)})
  }
  // For webgpu, also ask Dawn (the webgpu package) which adapter answers, so that auto can pass
  // over a software rasterizer; ONNX Runtime's provider does not say which adapter it took.
  let webgpuUrl: string | undefined
  if (device === 'webgpu') {
    try {
      webgpuUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href
    } catch {}
  }
  const script = `
    const m = await import(${JSON.stringify(ortUrl)}); const ort = m.default ?? m; ort.env.logLevel = 'error'
    let info
    ${webgpuUrl ? `try { const {create} = await import(${JSON.stringify(webgpuUrl)}); const a = await create([]).requestAdapter(); info = a && {vendor: a.info?.vendor, architecture: a.info?.architecture, description: a.info?.description, isFallbackAdapter: a.info?.isFallbackAdapter} } catch {}` : ''}
    try {
      const s = await ort.InferenceSession.create(Buffer.from(${JSON.stringify(PROBE_MODEL_B64)}, 'base64'), {executionProviders: [${JSON.stringify(device)}], logSeverityLevel: 4})
      const out = await s.run({x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4])})
      const y = out.y.data; await s.release()
      process.stdout.write(JSON.stringify({y: [y[0], y[1]], info}))
    } catch (err) { process.stdout.write(JSON.stringify({error: String(err?.message ?? err)})) }`
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], {timeout: 60_000, maxBuffer: 1 << 20}, (err, stdout, stderr) => {
      if (process.env.OPENLEDGER_DEBUG && stderr) process.stderr.write(stderr)
      let answer:
        | {y?: number[]; error?: string; info?: {vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean}}
        | undefined
      try {
        answer = JSON.parse(stdout)
      } catch {}
      if (answer?.y) {
        const probe = checkProbeOutput(device, answer.y)
        if (answer.info) {
          const adapter = adapterName(answer.info)
          Object.assign(probe, {adapter, software: isSoftwareAdapter(answer.info, adapter)})
        }
        resolve(probe)
      } else if (answer?.error) resolve({device, ok: false, reason: firstLine(answer.error)})
      // No answer: the process crashed or hung in the driver (its command line is the script: not shown).
      else
        resolve({
          device,
          ok: false,
          reason: `the probe process ended without an answer (${err?.signal ?? `exit code ${err?.code ?? 0}`})${stderr.trim() ? `: ${firstLine(stderr)}` : ''}`,
        })
    })
  })
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
    if (probe.ok && probe.software) {
      tried.push({...probe, ok: false, reason: `the only WebGPU adapter is a software rasterizer (${probe.adapter}), slower than cpu`})
      continue
    }
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
