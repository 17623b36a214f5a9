import {existsSync, readFileSync, writeFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {tempDir} from '../helpers/env.js'

/**
 * The WebGPU probe's answer is kept on disk, keyed by what it depends on. Each case imports
 * backend.ts afresh (vi.resetModules) to stand for a new CLI process: only the disk cache carries over.
 */
describe('WebGPU probe cache', () => {
  const cache = tempDir('openledger-probe-cache-')
  const savedCacheDir = process.env.OPENLEDGER_CACHE_DIR
  beforeAll(() => {
    process.env.OPENLEDGER_CACHE_DIR = cache.dir
  })
  afterAll(() => {
    process.env.OPENLEDGER_CACHE_DIR = savedCacheDir
    cache.cleanup()
  })

  const freshBackend = async () => {
    vi.resetModules()
    return import('../../src/model/backend.js')
  }

  it('probes once, then answers from the file while the key holds, and probes again when it changes', async () => {
    const first = await freshBackend()
    const path = first.webgpuProbeCachePath()
    expect(existsSync(path)).toBe(false)
    const probe = await first.probeDevice('webgpu')
    expect(probe.device).toBe('webgpu')

    // No Vulkan loader means no probe at all, hence no file: nothing more to check on such a machine.
    if (!existsSync(path)) {
      expect(probe).toMatchObject({ok: false, reason: expect.stringContaining('Vulkan loader')})
      return
    }
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(file).toEqual({key: first.webgpuProbeKey(), probe})

    // A planted answer under the current key is what the next process gets: the file is read, not re-probed.
    const planted = {device: 'webgpu', ok: !probe.ok, reason: 'planted in the cache'}
    writeFileSync(path, JSON.stringify({key: file.key, probe: planted}))
    expect(await (await freshBackend()).probeDevice('webgpu')).toEqual(planted)

    // The key follows what the answer depends on (here the Vulkan ICD selection) ...
    expect(first.webgpuProbeKey({...process.env, VK_ICD_FILENAMES: '/nowhere/icd.json'})).not.toBe(file.key)
    // ... and an answer under another key is ignored: the probe runs again and gives the real answer.
    writeFileSync(path, JSON.stringify({key: 'another machine', probe: planted}))
    expect(await (await freshBackend()).probeDevice('webgpu')).toEqual(probe)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({key: file.key, probe})
  })
})

describe('auto and software adapters', () => {
  it('auto never runs on a software rasterizer: a planted software webgpu answer falls through to cpu with the reason', async () => {
    const cache = tempDir('openledger-probe-soft-')
    const savedCacheDir = process.env.OPENLEDGER_CACHE_DIR
    process.env.OPENLEDGER_CACHE_DIR = cache.dir
    try {
      vi.resetModules()
      const backend = await import('../../src/model/backend.js')
      const probe = await backend.probeDevice('webgpu')
      // Where the probe ran (a Vulkan loader is present), plant a software adapter under the real key.
      if (existsSync(backend.webgpuProbeCachePath())) {
        const planted = {device: 'webgpu', ok: true, adapter: 'mesa / cpu / llvmpipe (LLVM 19)', software: true}
        writeFileSync(backend.webgpuProbeCachePath(), JSON.stringify({key: backend.webgpuProbeKey(), probe: planted}))
        vi.resetModules()
        const again = await import('../../src/model/backend.js')
        const resolved = await again.resolveDevice('auto')
        expect(resolved.device).not.toBe('webgpu')
        expect(resolved.tried.find((t) => t.device === 'webgpu')).toMatchObject({
          ok: false,
          reason: expect.stringContaining('software rasterizer'),
        })
        // Asked for by name, the software adapter is still used (it is what CI tests the GPU path on).
        expect((await again.resolveDevice('webgpu')).device).toBe('webgpu')
      } else {
        expect(probe.ok).toBe(false)
        expect((await backend.resolveDevice('auto')).device).not.toBe('webgpu')
      }
    } finally {
      process.env.OPENLEDGER_CACHE_DIR = savedCacheDir
      cache.cleanup()
    }
  })

  it('names the adapter the real probe found, and flags lavapipe/llvmpipe as software', async () => {
    const {isSoftwareAdapter, adapterName} = await import('../../src/util/gpu.js')
    const soft = {vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 19.1.7, 256 bits)'}
    expect(isSoftwareAdapter(soft, adapterName(soft))).toBe(true)
    const hard = {vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200'}
    expect(isSoftwareAdapter(hard, adapterName(hard))).toBe(false)
    expect(isSoftwareAdapter({isFallbackAdapter: true}, 'x')).toBe(true)
  })
})
