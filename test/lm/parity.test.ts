// Our Llama forward pass and LoRA gradients against PyTorch on the same weights and batch
// (fixtures written by scripts/lm/golden.py). Norm: relative L2 error ‖ours − torch‖₂ / ‖torch‖₂ per
// tensor, which must be ≤ 1e-4.
import {join} from 'node:path'

import * as tf from '@tensorflow/tfjs'
import {describe, expect, it} from 'vitest'

import {selectLmDevice} from '../../src/lm/device.js'
import {loadLlamaModel} from '../../src/lm/load.js'
import {LORA_TARGETS, type LoraAdapter, loraFromPeft, loraParams} from '../../src/lm/lora.js'
import {exampleLoraGradients} from '../../src/lm/gradients.js'
import {bindLora, causalLmLossSum, forward} from '../../src/lm/model.js'
import {readSafetensorsF32} from '../../src/lm/weights.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'lm')

function relErr(ours: Float32Array, ref: Float32Array): number {
  expect(ours.length).toBe(ref.length)
  let num = 0
  let den = 0
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i] - ref[i]) ** 2
    den += ref[i] ** 2
  }
  return Math.sqrt(num / den)
}

// tfjs needs its backend before the first tensor; describe bodies run at collection.
await selectLmDevice('cpu')

describe.each(['tiny-tied-gqa', 'tiny-untied-gqa'])('parity with PyTorch: %s', (name) => {
  const dir = join(FIXTURES, name)
  const golden = readSafetensorsF32(join(dir, 'golden.safetensors'))
  const model = loadLlamaModel(dir)
  const [r, alpha] = golden['meta.r_alpha'].data
  const adapter: LoraAdapter = loraFromPeft(
    golden,
    model.config,
    {r, alpha, dropout: 0, targetModules: [...LORA_TARGETS]},
    {trainable: true},
  )
  const [B, T] = golden.input_ids.shape
  const ids = tf.tensor2d(Int32Array.from(golden.input_ids.data), [B, T], 'int32')
  const mask = tf.tensor2d(golden.loss_mask.data, [B, T])

  it('logits equal PyTorch within 1e-4 relative', async () => {
    const {logits} = forward(model, ids, {lora: bindLora(adapter)})
    expect(logits.shape).toEqual(golden.logits.shape)
    const err = relErr((await logits.data()) as Float32Array, golden.logits.data)
    expect(err).toBeLessThan(1e-4)
  })

  it('LoRA gradients of the masked loss equal PyTorch within 1e-4 relative', async () => {
    const params = loraParams(adapter)
    const count = golden.loss_mask.data.reduce((s, v, i) => s + (i % T === 0 ? 0 : v), 0)
    const {value, grads} = tf.variableGrads(
      () => tf.div(causalLmLossSum(forward(model, ids, {lora: bindLora(adapter)}).logits, ids, mask), count) as tf.Scalar,
      params.map((p) => p.tensor as tf.Variable),
    )
    expect(Math.abs((await value.data())[0] - golden.loss.data[0])).toBeLessThan(1e-5 * golden.loss.data[0])
    expect(params).toHaveLength(2 * 7 * model.config.numLayers)
    for (const p of params) {
      const g = grads[(p.tensor as tf.Variable).name]
      const ref = golden[p.key + '.grad'].data
      expect(ref.some((v) => v !== 0)).toBe(true)
      const err = relErr((await g.data()) as Float32Array, ref)
      expect(err, p.key).toBeLessThan(1e-4)
    }
  })
})

describe('per-example LoRA gradients (for attribution)', () => {
  it('sum, over the examples of the batch, to PyTorch’s batch gradient times the token count', async () => {
    const dir = join(FIXTURES, 'tiny-untied-gqa')
    const golden = readSafetensorsF32(join(dir, 'golden.safetensors'))
    const model = loadLlamaModel(dir)
    const [r, alpha] = golden['meta.r_alpha'].data
    // A plain-tensor adapter, as inference loads it: the function makes its own trainable copy.
    const adapter = loraFromPeft(golden, model.config, {r, alpha, dropout: 0, targetModules: [...LORA_TARGETS]})
    const [B, T] = golden.input_ids.shape
    const examples = Array.from({length: B}, (_, b) => ({
      ids: Array.from(golden.input_ids.data.slice(b * T, (b + 1) * T)),
      lossMask: Array.from(golden.loss_mask.data.slice(b * T, (b + 1) * T)),
    }))
    const per = await exampleLoraGradients(model, adapter, examples)
    const tokens = per.reduce((s, g) => s + g.tokens, 0)
    expect(per.map((g) => g.tokens)).toEqual([8, 5])
    expect(Math.abs(per.reduce((s, g) => s + g.loss, 0) / tokens - golden.loss.data[0])).toBeLessThan(1e-5 * golden.loss.data[0])
    for (const key of Object.keys(per[0].grads)) {
      const sum = per[0].grads[key].map((v, i) => (v + per[1].grads[key][i]) / tokens)
      expect(relErr(sum, golden[key + '.grad'].data), key).toBeLessThan(1e-4)
      // The two examples' gradients differ (the test could fail).
      expect(relErr(per[0].grads[key], per[1].grads[key])).toBeGreaterThan(0.1)
    }
  })
})
