// The webgpu path (Dawn on Vulkan) against the wasm path on the parity model. CI has no GPU but installs
// Mesa's software Vulkan (lavapipe), which Dawn accepts from Mesa 25; where no adapter answers, the
// comparison is skipped on the strength of a real probe and the fallback is what is tested.
// Tolerance: relative L2 error ‖webgpu − wasm‖₂ / ‖wasm‖₂ ≤ 1e-4 per tensor (f32 on both; only the
// summation order differs).
import {execFileSync} from 'node:child_process'
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'

import {probeWebgpu, selectLmDevice} from '../../src/lm/device.js'
import {loadLlamaModel} from '../../src/lm/load.js'
import {LORA_TARGETS, loraFromPeft, loraParams} from '../../src/lm/lora.js'
import {bindLora, causalLmLossSum, forward} from '../../src/lm/model.js'
import {trainLora} from '../../src/lm/train.js'
import {readSafetensorsF32} from '../../src/lm/weights.js'

const probe = await probeWebgpu()
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'lm', 'tiny-untied-gqa')

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0
  let den = 0
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2
    den += b[i] ** 2
  }
  return Math.sqrt(num / den)
}

/** Logits, LoRA gradients and the adapter after four training steps, all read back to f32 arrays. */
async function runOnCurrentBackend(): Promise<Record<string, Float32Array>> {
  const golden = readSafetensorsF32(join(FIXTURE, 'golden.safetensors'))
  const model = loadLlamaModel(FIXTURE)
  const [r, alpha] = golden['meta.r_alpha'].data
  const adapter = loraFromPeft(golden, model.config, {r, alpha, dropout: 0, targetModules: [...LORA_TARGETS]}, {trainable: true})
  const [B, T] = golden.input_ids.shape
  const ids = tf.tensor2d(Int32Array.from(golden.input_ids.data), [B, T], 'int32')
  const mask = tf.tensor2d(golden.loss_mask.data, [B, T])
  const out: Record<string, Float32Array> = {}
  out.logits = (await forward(model, ids, {lora: bindLora(adapter)}).logits.data()) as Float32Array
  const params = loraParams(adapter)
  const {grads} = tf.variableGrads(
    () => causalLmLossSum(forward(model, ids, {lora: bindLora(adapter)}).logits, ids, mask),
    params.map((p) => p.tensor as tf.Variable),
  )
  for (const p of params) out[`grad ${p.key}`] = (await grads[(p.tensor as tf.Variable).name].data()) as Float32Array
  const rows = Array.from({length: B}, (_, b) => ({
    ids: Array.from(golden.input_ids.data.slice(b * T, (b + 1) * T)),
    lossMask: Array.from(golden.loss_mask.data.slice(b * T, (b + 1) * T)),
  }))
  // Four steps with a small max_grad_norm: clipping is active with a different factor each step, so
  // the result depends on the global gradient norm (one Adam step alone is invariant to its scale).
  const step = await trainLora({
    model,
    examples: rows,
    hyperparameters: {
      num_train_epochs: 2,
      per_device_train_batch_size: 1,
      val_size: 0,
      lora_rank: 2,
      lora_alpha: 4,
      lora_target: 'all',
      learning_rate: 1e-2,
      seed: 1,
      max_grad_norm: 1e-3,
    },
  })
  for (const [k, t] of Object.entries(step.peft)) if (k.includes('lora_B')) out[`step ${k}`] = t.data
  return out
}

describe('device selection', () => {
  it('auto falls back to the CPU with the reason when no Vulkan driver answers', () => {
    // A real probe in a child process whose Vulkan loader finds no driver.
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'select-device.ts'), 'auto'], {
      env: {...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json'},
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const chosen = JSON.parse(out.trim().split('\n').at(-1)!)
    expect(chosen).toMatchObject({device: 'cpu', backend: 'wasm', requested: 'auto'})
    expect(chosen.fallbackReason).toMatch(/no WebGPU adapter answered|no Vulkan loader/)
  }, 120_000)

  it('here: auto says what it got, and why not webgpu when it is not', async () => {
    const chosen = await selectLmDevice('auto')
    if (!probe.ok) {
      expect(chosen).toMatchObject({device: 'cpu', fallbackReason: probe.reason})
      await expect(selectLmDevice('webgpu')).rejects.toThrow(`device webgpu is not available on this machine: ${probe.reason}`)
    } else if (probe.software) {
      expect(chosen.device).toBe('cpu')
      expect(chosen.fallbackReason).toContain('software rasterizer')
    } else {
      expect(chosen).toMatchObject({device: 'webgpu', adapter: probe.adapter})
    }
    await selectLmDevice('cpu')
  })

  it.skipIf(!probe.ok)(
    'webgpu: forward, LoRA gradients and four training steps equal wasm within 1e-4 relative',
    async () => {
      await selectLmDevice('cpu')
      const cpu = await runOnCurrentBackend()
      const gpu = await selectLmDevice('webgpu')
      expect(gpu.device).toBe('webgpu')
      expect(tf.getBackend()).toBe('webgpu')
      const web = await runOnCurrentBackend()
      await selectLmDevice('cpu')
      expect(Object.keys(web).sort()).toEqual(Object.keys(cpu).sort())
      for (const k of Object.keys(cpu)) expect(relErr(web[k], cpu[k]), k).toBeLessThan(1e-4)
    },
    600_000,
  )
})
