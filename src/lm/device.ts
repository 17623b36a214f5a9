/**
 * Where the language-model engine runs: TensorFlow.js on its wasm backend (CPU) or its webgpu backend
 * (Dawn from the `webgpu` package, which loads Vulkan at run time on Linux). tfjs has one global
 * backend per process, so the choice is made once and shared by every model in the process.
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'

import {UsageError} from '../errors.js'
import {adapterName, isSoftwareAdapter, vulkanLoaderPresent} from '../util/gpu.js'

export const LM_DEVICES = ['auto', 'cpu', 'webgpu'] as const
export type LmDeviceRequest = (typeof LM_DEVICES)[number]

export type LmDevice = {
  /** What runs the model. */
  device: 'cpu' | 'webgpu'
  /** The tfjs backend name behind it. */
  backend: 'wasm' | 'webgpu'
  requested: LmDeviceRequest
  /** The GPU adapter, when webgpu (vendor / architecture / description as Dawn reports them). */
  adapter?: string
  /** Why a GPU was not used, when auto fell back to the CPU. */
  fallbackReason?: string
}

/** `software`: a CPU rasterizer (Mesa's lavapipe, SwiftShader): correct but slower than wasm. */
export type WebgpuProbe = {ok: true; adapter: string; software: boolean} | {ok: false; reason: string}

let probePromise: Promise<WebgpuProbe> | undefined
let current: LmDevice | undefined

/** The device chosen last in this process (tfjs has one active backend), if any. */
export function currentLmDevice(): LmDevice | undefined {
  return current
}

/**
 * Asks Dawn for an adapter. On success `navigator.gpu` is set to Dawn's GPU object, which the tfjs
 * webgpu backend reads when it initialises (Node has no navigator.gpu of its own).
 */
export function probeWebgpu(): Promise<WebgpuProbe> {
  probePromise ??= (async (): Promise<WebgpuProbe> => {
    if (!vulkanLoaderPresent()) return {ok: false, reason: 'no Vulkan loader (libvulkan.so.1), which Dawn needs on Linux'}
    try {
      const {create, globals} = await import('webgpu')
      const gpu = create([])
      const adapter = await gpu.requestAdapter()
      if (!adapter) return {ok: false, reason: 'no WebGPU adapter answered (no Vulkan driver Dawn accepts)'}
      const info = adapter.info as GPUAdapterInfo & {isFallbackAdapter?: boolean}
      const name = adapterName(info)
      const software = isSoftwareAdapter(info, name)
      Object.assign(globalThis, globals)
      const nav = ((globalThis as {navigator?: object}).navigator ??= {}) as {gpu?: unknown}
      Object.defineProperty(nav, 'gpu', {value: gpu, configurable: true, writable: true})
      return {ok: true, adapter: name, software}
    } catch (err) {
      return {ok: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]}
    }
  })()
  return probePromise
}

async function useBackend(name: 'wasm' | 'webgpu'): Promise<void> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu')
  if (tf.getBackend() === name) return
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`)
  await tf.ready()
}

/**
 * `auto` takes webgpu when a hardware adapter answers and the backend starts, else the CPU with the
 * reason (a software adapter is used only when asked for by name: it is what CI tests on, but wasm
 * is faster); an explicit `webgpu` that cannot start is an error naming the device.
 */
export async function selectLmDevice(requested: LmDeviceRequest = 'auto'): Promise<LmDevice> {
  if (!(LM_DEVICES as readonly string[]).includes(requested))
    throw new UsageError(`device ${requested} is not one of ${LM_DEVICES.join(', ')}`)
  if (requested !== 'cpu') {
    const probe = await probeWebgpu()
    let reason = probe.ok
      ? probe.software && requested === 'auto'
        ? `the only WebGPU adapter is a software rasterizer (${probe.adapter}), slower than wasm`
        : undefined
      : probe.reason
    if (probe.ok && !reason) {
      try {
        await useBackend('webgpu')
        current = {device: 'webgpu', backend: 'webgpu', requested, adapter: probe.adapter}
        return current
      } catch (err) {
        reason = `the tfjs webgpu backend did not start: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`
      }
    }
    if (requested === 'webgpu')
      throw new UsageError(`device webgpu is not available on this machine: ${reason}`, {
        metaMessages: ['Use device auto (falls back to cpu) or cpu.'],
      })
    await useBackend('wasm')
    current = {device: 'cpu', backend: 'wasm', requested, fallbackReason: reason}
    return current
  }
  await useBackend('wasm')
  current = {device: 'cpu', backend: 'wasm', requested}
  return current
}

/** One line saying what runs the model, for the CLI's progress output. */
export function describeLmDevice(d: LmDevice): string {
  if (d.device === 'webgpu') return `webgpu (${d.adapter})`
  return d.fallbackReason ? `cpu (wasm; webgpu not used: ${d.fallbackReason})` : 'cpu (wasm)'
}
