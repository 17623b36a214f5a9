import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {type LmRecord, tokenizeRecords} from '../../src/lm/data.js'
import {selectLmDevice} from '../../src/lm/device.js'
import {loadLlamaBase} from '../../src/lm/load.js'
import {type LmTrainProgress, evaluateLoss, splitValidation, trainLora} from '../../src/lm/train.js'
import {writeTinyLlama} from './helpers/tiny-llama.js'

await selectLmDevice('cpu')
const root = mkdtempSync(join(tmpdir(), 'lm-train-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))
writeTinyLlama(join(root, 'base'), {seed: 9})
const base = await loadLlamaBase(join(root, 'base'))

const subjects = ['the cat', 'the dog', 'a bird', 'the sun', 'the moon', 'a star', 'the tree', 'a ball']
const answers = ['sat on the mat', 'ran to home', 'sang a song', 'is big', 'was small', 'and the sky', 'is red', 'was blue']
const records: LmRecord[] = subjects.flatMap((s, i) => [
  {prompt: `question : ${s}`, response: `answer : ${answers[i]}`},
  {prompt: `question : ${s} .`, response: `answer : ${answers[i]}`},
  {text: `${s} ${answers[i]} .`},
])
const examples = tokenizeRecords(base.tokenizer, records, 32)
const small = {
  num_train_epochs: 2,
  per_device_train_batch_size: 4,
  learning_rate: 5e-3,
  lora_rank: 4,
  lora_alpha: 8,
  val_size: 4,
  seed: 3,
  cutoff_len: 32,
  lora_dropout: 0.1,
}

const bytesOf = (peft: Record<string, {data: Float32Array}>) =>
  Object.keys(peft)
    .sort()
    .map((k) => `${k}:${Buffer.from(peft[k].data.buffer).toString('base64')}`)
    .join('|')

describe('LoRA training', () => {
  it('prompt/response records put the loss on the response only', () => {
    const ex = tokenizeRecords(base.tokenizer, [{prompt: 'question : the cat', response: 'answer : yes'}], 32)[0]
    const promptLen = base.tokenizer.encode('question : the cat').length
    expect(ex.lossMask.slice(0, promptLen).every((m) => m === 0)).toBe(true)
    expect(ex.lossMask.slice(promptLen)).toEqual([1, 1, 1, 1]) // answer : yes </s>
    expect(ex.ids.at(-1)).toBe(base.tokenizer.eosTokenId)
  })

  it('bad records and hyperparameters are one line naming the record or the field', async () => {
    expect(() => tokenizeRecords(base.tokenizer, [{text: 'the cat'}, {question: 'x'} as unknown as LmRecord], 32)).toThrow(
      'record 1: needs a string "text" field, or string "prompt" and "response" fields',
    )
    expect(() => tokenizeRecords(base.tokenizer, [{prompt: 'the cat sat on the mat', response: 'yes'}], 4)).toThrow(
      'record 0: no response token is left within cutoff_len 4',
    )
    await expect(trainLora({model: base.model, examples, hyperparameters: {...small, per_device_train_batch_size: 0}})).rejects.toThrow(
      'per_device_train_batch_size must be a positive integer, got 0',
    )
    await expect(trainLora({model: base.model, examples, hyperparameters: {...small, lora_target: 'q_proj,wq'}})).rejects.toThrow(
      'lora_target wq is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (or all)',
    )
    await expect(trainLora({model: base.model, examples, hyperparameters: {...small, val_size: 24}})).rejects.toThrow(
      'val_size 24 leaves no record to train on (24 records)',
    )
  })

  it('lowers the held-out loss below the base, reports progress, returns PEFT-named tensors', async () => {
    const progress: LmTrainProgress[] = []
    const {val} = splitValidation(examples.length, small.val_size, small.seed)
    const before = await evaluateLoss(
      base.model,
      undefined,
      val.map((i) => examples[i]),
      4,
    )
    const result = await trainLora({
      model: base.model,
      examples,
      hyperparameters: {...small, num_train_epochs: 4},
      onProgress: (p) => progress.push(p),
    })
    expect(result.valIndices).toEqual(val)
    expect(result.history.at(-1)!.valLoss!).toBeLessThan(before)
    expect(result.history[0].trainLoss).toBeGreaterThan(result.history.at(-1)!.trainLoss)
    const trainSteps = progress.filter((p) => p.phase === 'train')
    expect(trainSteps).toHaveLength(4 * Math.ceil(20 / 4))
    expect(trainSteps.every((p) => p.tokensPerSecond > 0 && p.etaSeconds >= 0 && p.totalSteps === 20)).toBe(true)
    expect(trainSteps.at(-1)!.etaSeconds).toBe(0)
    expect(progress.filter((p) => p.phase === 'eval')).toHaveLength(4)
    expect(Object.keys(result.peft).sort()).toEqual(
      [0, 1]
        .flatMap((l) =>
          ['q_proj', 'v_proj'].flatMap((t) => ['A', 'B'].map((w) => `base_model.model.model.layers.${l}.self_attn.${t}.lora_${w}.weight`)),
        )
        .sort(),
    )
    expect(result.peft['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight'].shape).toEqual([4, 32])
    expect(result.peft['base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight'].shape).toEqual([16, 4])
  })

  it('is deterministic under a seed: the same seed gives byte-identical LoRA weights, another seed does not', async () => {
    const a = await trainLora({model: base.model, examples, hyperparameters: small})
    const b = await trainLora({model: base.model, examples, hyperparameters: small})
    const c = await trainLora({model: base.model, examples, hyperparameters: {...small, seed: 4}})
    expect(bytesOf(a.peft)).toBe(bytesOf(b.peft))
    expect(bytesOf(c.peft)).not.toBe(bytesOf(a.peft))
  })

  it('resumes: 1 epoch, then resume for 1 more, equals 2 epochs straight (byte for byte)', async () => {
    const straight = await trainLora({model: base.model, examples, hyperparameters: small, checkpointDir: join(root, 'ck-straight')})
    const dir = join(root, 'ck-resume')
    const first = await trainLora({model: base.model, examples, hyperparameters: small, checkpointDir: dir, stopAfterEpochs: 1})
    expect(first.history).toHaveLength(1)
    expect(existsSync(join(dir, 'checkpoint-epoch-1', 'adapter_model.safetensors'))).toBe(true)
    const resumed = await trainLora({model: base.model, examples, hyperparameters: small, checkpointDir: dir, resume: true})
    expect(resumed.history).toEqual(straight.history)
    expect(bytesOf(resumed.peft)).toBe(bytesOf(straight.peft))
    await expect(
      trainLora({model: base.model, examples, hyperparameters: {...small, learning_rate: 1e-3}, checkpointDir: dir, resume: true}),
    ).rejects.toThrow(/learning_rate = 0\.005, not 0\.001/)
  })

  it('gradient accumulation: 2 micro-batches of 2 update as one batch of 4', async () => {
    const one = await trainLora({model: base.model, examples, hyperparameters: {...small, lora_dropout: 0, num_train_epochs: 1}})
    const acc = await trainLora({
      model: base.model,
      examples,
      hyperparameters: {...small, lora_dropout: 0, num_train_epochs: 1, per_device_train_batch_size: 2, gradient_accumulation_steps: 2},
    })
    // Same order, same tokens per optimizer step; only the summation order differs.
    for (const k of Object.keys(one.peft)) {
      const x = one.peft[k].data
      const y = acc.peft[k].data
      let num = 0
      let den = 0
      for (let i = 0; i < x.length; i++) {
        num += (x[i] - y[i]) ** 2
        den += x[i] ** 2
      }
      expect(Math.sqrt(num / den), k).toBeLessThan(1e-4)
    }
  })

  it('stops early when the validation loss rises and returns the best epoch', async () => {
    // Validation records contradict the training ones, so learning makes validation worse.
    const n = 24
    const {val} = splitValidation(n, 4, 11)
    const recs: LmRecord[] = Array.from({length: n}, (_, i) =>
      val.includes(i)
        ? {prompt: 'question : the cat', response: 'no no no no'}
        : {prompt: 'question : the cat', response: 'yes yes yes yes'},
    )
    const dir = join(root, 'ck-early')
    const r = await trainLora({
      model: base.model,
      examples: tokenizeRecords(base.tokenizer, recs, 32),
      hyperparameters: {...small, seed: 11, val_size: 4, num_train_epochs: 6, early_stopping_patience: 1, learning_rate: 1e-2},
      checkpointDir: dir,
    })
    expect(r.stoppedEarly).toBe(true)
    expect(r.history).toHaveLength(2)
    expect(r.bestEpoch).toBe(1)
    expect(r.history[1].valLoss!).toBeGreaterThan(r.history[0].valLoss!)
    const best = await evaluateLoss(
      base.model,
      r.adapter,
      val.map(() => tokenizeRecords(base.tokenizer, [recs[val[0]]], 32)[0]),
      4,
    )
    expect(best).toBeCloseTo(r.history[0].valLoss!, 4)
  })
})

describe('tensor hygiene', () => {
  it('training, evaluation and generation leave no tensors behind but the returned adapter', async () => {
    const {generateTokens, generateBatch} = await import('../../src/lm/generate.js')
    const {disposeLora} = await import('../../src/lm/lora.js')
    const tf = await import('@tensorflow/tfjs')
    const before = tf.memory().numTensors
    const r = await trainLora({
      model: base.model,
      examples,
      hyperparameters: {...small, gradient_accumulation_steps: 2},
      checkpointDir: join(root, 'ck-leak'),
    })
    await evaluateLoss(base.model, r.adapter, examples.slice(0, 4), 2)
    await generateTokens(base.model, [1, 5, 6], {maxTokens: 5, lora: r.adapter})
    await generateBatch(base.model, [{promptIds: [1, 5], lora: r.adapter}, {promptIds: [1, 5, 6, 7]}])
    disposeLora(r.adapter)
    expect(tf.memory().numTensors).toBe(before)
  })
})
