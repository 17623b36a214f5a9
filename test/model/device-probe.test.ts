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
