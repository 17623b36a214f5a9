/**
 * Per-example LoRA gradients, for attribution: the gradient of one example's summed token loss
 * (its negative log-likelihood over the masked tokens) with respect to every LoRA tensor, under
 * PEFT's names. Training records and generated answers go through the same function, so scores
 * computed from them (DataInf, TracIn, grad-dot) do not depend on how the adapter was trained.
 */
import * as tf from '@tensorflow/tfjs'

import type {LmExample} from './data.js'
import {type LoraAdapter, loraFromPeft, loraParams, loraToPeft} from './lora.js'
import {type LlamaModel, bindLora, causalLmLossSum, forward} from './model.js'

export type ExampleGradient = {
  /** Σ over the example's masked tokens of −log p(token | prefix). */
  loss: number
  /** Masked tokens counted in `loss`. */
  tokens: number
  /** d loss / d tensor, per PEFT name, in the tensor's layout (A [r, in], B [out, r]). */
  grads: Record<string, Float32Array>
}

/** One gradient per example (one forward/backward each; no dropout). */
export async function exampleLoraGradients(model: LlamaModel, adapter: LoraAdapter, examples: LmExample[]): Promise<ExampleGradient[]> {
  // Gradients need Variables; an adapter loaded for inference holds plain tensors, so copy it once.
  const params0 = loraParams(adapter)
  const trainable = params0.every((p) => p.tensor instanceof tf.Variable)
    ? adapter
    : loraFromPeft(await loraToPeft(adapter), model.config, adapter.config, {trainable: true})
  const params = loraParams(trainable)
  const vars = params.map((p) => p.tensor as tf.Variable)
  const out: ExampleGradient[] = []
  try {
    for (const ex of examples) {
      const ids = tf.tensor2d([ex.ids], undefined, 'int32')
      const mask = tf.tensor2d([ex.lossMask])
      const {value, grads} = tf.variableGrads(
        () => causalLmLossSum(forward(model, ids, {lora: bindLora(trainable)}).logits, ids, mask),
        vars,
      )
      const g: Record<string, Float32Array> = {}
      for (let i = 0; i < params.length; i++) g[params[i].key] = (await grads[vars[i].name].data()) as Float32Array
      out.push({loss: (await value.data())[0], tokens: ex.lossMask.slice(1).reduce((a, b) => a + b, 0), grads: g})
      tf.dispose([ids, mask, value, ...Object.values(grads)])
    }
  } finally {
    if (trainable !== adapter) for (const v of vars) v.dispose()
  }
  return out
}
