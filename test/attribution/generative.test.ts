// The generative attribution path end to end on a tiny random Llama: train a LoRA with per-epoch
// checkpoints, store per-record gradients, attribute a generated answer (gradients + spans) into a
// receipt, score self-influence, and refuse stale or damaged stores with one line.
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {
  GRADIENT_STORE_FILE,
  attributeGeneration,
  computeGradientStore,
  generationExample,
  generativeSelfInfluence,
  generativeSelfInfluenceReport,
  loadAdapter,
  projectedGradients,
  readGradientStore,
  tracinSelfInfluence,
  writeGradientStore,
} from '../../src/attribution/generative/index.js'
import {WEIGHT_ONE, type RecordMeta, textHash} from '../../src/attribution/index.js'
import {type LmRecord, disposeLlama, disposeLora, loadLlamaBase, selectLmDevice, tokenizeRecords, trainLora} from '../../src/lm/index.js'
import {promptIds} from '../../src/lm/complete.js'
import {writeTinyLlama} from '../lm/helpers/tiny-llama.js'

await selectLmDevice('cpu')
const root = mkdtempSync(join(tmpdir(), 'lm-poa-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))
writeTinyLlama(join(root, 'base'), {seed: 5})
const base = await loadLlamaBase(join(root, 'base'))

const records: LmRecord[] = [
  {prompt: 'question : the cat', response: 'answer : the cat sat on the red mat'},
  {prompt: 'question : the dog', response: 'answer : the dog ran to home at night'},
  {prompt: 'question : a bird', response: 'answer : a bird sang a song to the sun'},
  {prompt: 'question : the moon', response: 'answer : the moon was big and the sky was blue'},
  {prompt: 'question : a star', response: 'answer : a small star is in the night sky'},
  {prompt: 'question : the tree', response: 'answer : the tree was big and the ball was red'},
  {prompt: 'question : the ball', response: 'answer : no'},
  {prompt: 'question : the sun', response: 'answer : yes , the sun is big'},
]
const meta: RecordMeta[] = records.map((r, i) => ({
  recordHash: textHash(JSON.stringify(r)),
  contributor: `0x${((i % 3) + 1).toString(16).padStart(40, '0')}`,
}))
const hp = {
  num_train_epochs: 2,
  per_device_train_batch_size: 4,
  learning_rate: 1e-2,
  lr_scheduler_type: 'constant' as const,
  warmup_ratio: 0,
  val_size: 0,
  lora_rank: 4,
  lora_alpha: 8,
  lora_dropout: 0,
  cutoff_len: 32,
  seed: 2,
}
const examples = tokenizeRecords(base.tokenizer, records, 32)
const art = join(root, 'artifact')
const trained = await trainLora({model: base.model, examples, hyperparameters: hp, checkpointDir: join(art, 'checkpoints')})
disposeLora(trained.adapter)
const checkpoints = [1, 2].map((e) => ({
  name: `epoch-${e}`,
  adapter: join(art, 'checkpoints', `checkpoint-epoch-${e}`, 'adapter_model.safetensors'),
  lr: hp.learning_rate,
}))
const projection = {dim: 16, seed: 3}
const store = await computeGradientStore({
  model: base.model,
  examples,
  checkpoints,
  loraConfig: trained.loraConfig,
  baseSha256: 'ab'.repeat(32),
  projection,
  recordHashes: meta.map((m) => m.recordHash),
})
const storePath = join(art, GRADIENT_STORE_FILE)
writeGradientStore(storePath, store)
const common = {artifactDir: art, model: base.model, tokenizer: base.tokenizer, baseSha256: 'ab'.repeat(32), records, recordMeta: meta}

describe('generative attribution', () => {
  it('stores per-record gradients in safetensors with their metadata, read back by position', async () => {
    const back = readGradientStore(storePath)
    expect(back.meta).toMatchObject({
      answering: 'epoch-2',
      records: 8,
      projection,
      baseSha256: 'ab'.repeat(32),
      loraConfig: trained.loraConfig,
    })
    expect(back.meta.checkpoints.map((c) => [c.name, c.lr, c.adapter])).toEqual(checkpoints.map((c) => [c.name, c.lr, c.adapter]))
    // q_proj and v_proj A/B in 2 layers: 8 tensors; A is 4×32 = 128 values, projected to 16.
    expect(back.meta.layers).toHaveLength(8)
    for (const set of back.sets.values())
      for (const l of set.layers) expect(l.dim).toBe(Math.min(16, back.meta.layers.find((x) => x.name === l.name)!.dim))
    const header = readFileSync(storePath)
    expect(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString()).toContain('"openledger.key":"openledger.lm-gradients"')
    // Row 5 of epoch 2 is record 5's gradient computed alone.
    const alone = await projectedGradients(
      base.model,
      loadAdapter(base.model, checkpoints[1].adapter, trained.loraConfig),
      [examples[5]],
      projection,
    )
    const set = back.sets.get('epoch-2')!
    set.layers.forEach((l, j) => expect(Array.from(l.rows.subarray(5 * l.dim, 6 * l.dim))).toEqual(Array.from(alone.grads[0][j])))
    expect(back.losses.get('epoch-2')![5]).toBe(Math.fround(alone.losses[0]))
    expect(back.losses.get('epoch-1')).toHaveLength(8)
  })

  it('attributes a generated answer to the record it repeats, by gradients and spans, in one receipt summing to 1e18', async () => {
    for (const method of ['datainf', 'tracin'] as const) {
      const res = await attributeGeneration({
        ...common,
        prompt: 'question : the moon',
        output: 'the moon was big and the sky was blue',
        topK: 3,
        method,
      })
      expect(res.scores).toHaveLength(8)
      expect(res.gradient[0].index).toBe(3)
      expect(res.spans.map((s) => s.records)).toContainEqual([3])
      expect(res.receipt.method).toBe('hybrid')
      expect(res.receipt.records[0].recordHash).toBe(meta[3].recordHash)
      expect(res.receipt.records).toHaveLength(3)
      expect(res.receipt.contributors.reduce((s, c) => s + BigInt(c.weight), 0n)).toBe(WEIGHT_ONE)
    }
  })

  it('without a verbatim span the receipt is the gradient method alone', async () => {
    const res = await attributeGeneration({...common, prompt: 'question : the dog', output: 'yes no yes', topK: 4, method: 'tracin'})
    expect(res.spans).toEqual([])
    expect(res.receipt.method).toBe('tracin')
    expect(res.receipt.records.map((r) => r.score)).toEqual(res.gradient.map((g) => Number(g.score.toPrecision(12))))
    expect(res.receipt.contributors.reduce((s, c) => s + BigInt(c.weight), 0n)).toBe(WEIGHT_ONE)
  })

  it('scores every record of the datanet for self-influence', () => {
    const back = readGradientStore(storePath)
    const di = generativeSelfInfluence(back, 'datainf')
    const tr = generativeSelfInfluence(back, 'tracin')
    expect(di).toHaveLength(8)
    expect([...di, ...tr].every((x) => Number.isFinite(x) && x > 0)).toBe(true)
    expect(Array.from(tr)).toEqual(
      Array.from(tracinSelfInfluence(back.meta.checkpoints.map((c) => ({set: back.sets.get(c.name)!, lr: c.lr})))),
    )
    const report = generativeSelfInfluenceReport({artifactDir: art, recordMeta: meta, method: 'datainf'})
    expect(report.map((r) => r.index).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(report[0].selfInfluence).toBe(Math.max(...di))
    expect(report.every((r, k) => k === 0 || r.selfInfluence <= report[k - 1].selfInfluence)).toBe(true)
    expect(report.find((r) => r.index === 2)).toMatchObject({
      recordHash: meta[2].recordHash,
      contributor: meta[2].contributor,
      loss: back.losses.get('epoch-2')![2],
    })
  })

  it('takes the answer in the context it was generated in: the chat template only for adapters trained with it', async () => {
    writeTinyLlama(join(root, 'chat-base'), {seed: 5, chatTemplate: true})
    const chatBase = await loadLlamaBase(join(root, 'chat-base'))
    try {
      const prompt = 'question : the cat'
      const plain = generationExample(chatBase.tokenizer, prompt, 'yes', 1024, false)
      const chat = generationExample(chatBase.tokenizer, prompt, 'yes', 1024, true)
      expect(plain.ids.slice(0, -1)).toEqual(promptIds(chatBase, prompt, false))
      expect(chat.ids.slice(0, -1)).toEqual(promptIds(chatBase, prompt, true))
      expect(chat.ids.length).toBeGreaterThan(plain.ids.length)
    } finally {
      disposeLlama(chatBase.model)
    }
  })

  it('the answer example puts the loss on the generated tokens only', () => {
    const ex = generationExample(base.tokenizer, 'question : the cat', 'yes the cat')
    expect(ex.lossMask.filter((m) => m === 1)).toHaveLength(3)
    expect(ex.lossMask.slice(-3)).toEqual([1, 1, 1])
    expect(() => generationExample(base.tokenizer, 'question', '')).toThrow('the generated text to attribute is empty')
  })

  it('refuses stale, mismatched or damaged stores with one line naming the file', async () => {
    const args = {...common, prompt: 'question : the cat', output: 'the cat sat'}
    await expect(attributeGeneration({...args, recordMeta: meta.slice(1), records: records.slice(1)})).rejects.toThrow(
      `${storePath} holds gradients of 8 records, the training records given are 7`,
    )
    await expect(attributeGeneration({...args, recordMeta: [...meta].reverse()})).rejects.toThrow(
      `${storePath} was computed on other training records`,
    )
    await expect(attributeGeneration({...args, baseSha256: 'cd'.repeat(32)})).rejects.toThrow(
      `${storePath} was computed on base abababababab…`,
    )
    const bad = join(root, 'bad')
    rmSync(bad, {recursive: true, force: true})
    await expect(attributeGeneration({...args, artifactDir: bad})).rejects.toThrow(
      `no stored gradients at ${join(bad, GRADIENT_STORE_FILE)}`,
    )
    const damaged = join(root, 'damaged')
    writeGradientStore(join(damaged, GRADIENT_STORE_FILE), store)
    writeFileSync(join(damaged, GRADIENT_STORE_FILE), readFileSync(join(damaged, GRADIENT_STORE_FILE)).subarray(0, 100))
    expect(() => readGradientStore(join(damaged, GRADIENT_STORE_FILE))).toThrow(
      `${join(damaged, GRADIENT_STORE_FILE)} is not a readable safetensors file`,
    )
    // An adapter rewritten after its gradients were stored.
    const ckpt = checkpoints[0].adapter
    copyFileSync(ckpt, `${ckpt}.orig`)
    writeFileSync(ckpt, Buffer.concat([readFileSync(ckpt), Buffer.from(' ')]))
    try {
      await expect(attributeGeneration(args)).rejects.toThrow(`${ckpt} changed since its gradients were stored in ${storePath}`)
    } finally {
      copyFileSync(`${ckpt}.orig`, ckpt)
    }
  })
})
