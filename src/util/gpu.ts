/**
 * What both GPU paths (ONNX Runtime's WebGPU provider and TensorFlow.js's webgpu backend, each on
 * Dawn over Vulkan on Linux) need to know before asking for a device.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/**
 * WebGPU runs on Vulkan on Linux. Without a Vulkan loader no adapter can start, and probing anyway
 * makes Dawn print a warning on stderr: check for libvulkan.so.1 first.
 */
export function vulkanLoaderPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return true
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/lib/x86_64-linux-gnu',
  ]
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1')
  } catch {
    return false
  }
}

/** How Dawn describes an adapter: vendor / architecture / description. */
export function adapterName(info: {vendor?: string; architecture?: string; description?: string} | undefined): string {
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' / ') || 'unknown adapter'
}

/**
 * A CPU rasterizer (Mesa's lavapipe/llvmpipe, SwiftShader) answers as a WebGPU adapter: correct, and
 * what CI tests the GPU path on, but slower than the CPU paths, so `auto` never picks one.
 */
export function isSoftwareAdapter(
  info: {isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string} | undefined,
  name: string,
): boolean {
  return Boolean(info?.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/i.test(name)
}
