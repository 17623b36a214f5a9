/**
 * GGUF export of the tokenizers Llama-family bases ship with: llama.cpp (node-llama-cpp) must split
 * text into the same ids as transformers.js, which our engine uses, for every supported layout;
 * the others are refused in one line naming the file.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {type Llama, LlamaLogLevel, type LlamaModel, getLlama, readGgufFileInfo} from 'node-llama-cpp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {encodeBaseGguf, exportBaseGguf} from '../../src/lm/gguf.js'
import {type BpeKind, writeTinyLlamaWithBpe} from './helpers/tiny-bpe.js'
import {writeTinyLlama} from './helpers/tiny-llama.js'

// Seen in training (merges apply) and not (byte fallback, other scripts), digits in runs, contractions
// in both cases, runs of spaces, tabs and newlines, a leading space.
const TEXTS = [
  'The cat sat on the mat.',
  "It's 2024; they'd pay $1,250.75 for 12345 tickets, DIDN'T they?",
  ' Once upon a time\n\n  there was   a bird.\tTabs\ttoo.',
  'naïve café über straße 東京 🙂',
  'Numbers: 6789 and 1234567890',
]

const KINDS: [BpeKind, string, string][] = [
  ['gpt-2', 'gpt2', 'gpt-2'],
  ['smollm', 'gpt2', 'smollm'],
  ['qwen2', 'gpt2', 'qwen2'],
  ['llama-bpe', 'gpt2', 'llama-bpe'],
  ['spm-normalizer', 'llama', ''],
  ['spm-metaspace', 'llama', ''],
]

let tmp: string
let llama: Llama
const models: LlamaModel[] = []

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ol-gguf-tok-'))
  llama = await getLlama({gpu: false, logLevel: LlamaLogLevel.error})
})
afterAll(async () => {
  for (const m of models) await m.dispose()
  await llama?.dispose()
  rmSync(tmp, {recursive: true, force: true})
})

describe('GGUF tokenizers', () => {
  it.each(KINDS)('%s: llama.cpp tokenizes as transformers.js', async (kind, ggmlModel, pre) => {
    const dir = join(tmp, kind)
    writeTinyLlamaWithBpe(dir, kind)
    const out = exportBaseGguf(dir, join(tmp, `${kind}.gguf`), {dtype: 'f32'})
    const md = (await readGgufFileInfo(out.path)).metadata as Record<string, any>
    expect(md.tokenizer.ggml.model).toBe(ggmlModel)
    if (pre) expect(md.tokenizer.ggml.pre).toBe(pre)
    else expect(md.tokenizer.ggml.scores.length).toBe(md.tokenizer.ggml.tokens.length)

    const model = await llama.loadModel({modelPath: out.path, vocabOnly: true})
    models.push(model)
    const {AutoTokenizer, env} = await import('@huggingface/transformers')
    env.allowRemoteModels = false
    env.allowLocalModels = true
    const tokenizer = await AutoTokenizer.from_pretrained(dir)
    let merged = 0
    for (const text of TEXTS) {
      const hf = tokenizer.encode(text, {add_special_tokens: false})
      const cpp = Array.from(model.tokenize(text))
      // The one known difference: a Metaspace pre-tokenizer does not add its "▁" to text that
      // already starts with a space; llama.cpp always adds one. Anything else must be equal.
      if (kind === 'spm-metaspace' && text.startsWith(' ')) expect(cpp.slice(1), text).toEqual(hf)
      else expect(cpp, `${kind}: ${JSON.stringify(text)}`).toEqual(hf)
      merged += hf.length < [...new TextEncoder().encode(text)].length ? 1 : 0
    }
    // The merges really applied (the comparison would prove little on single bytes).
    expect(merged).toBe(TEXTS.length)
  })

  it('SentencePiece BPE: a merge rank becomes the score of the token it makes, byte tokens typed as bytes', async () => {
    const dir = join(tmp, 'spm-scores')
    writeTinyLlamaWithBpe(dir, 'spm-normalizer')
    const md = (await readGgufFileInfo(exportBaseGguf(dir, join(tmp, 'spm-scores.gguf'), {dtype: 'f32'}).path)).metadata as Record<
      string,
      any
    >
    const t = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'))
    const [a, b] = t.model.merges[0]
    const [c, d] = t.model.merges[5]
    expect(md.tokenizer.ggml.scores[t.model.vocab[a + b]]).toBe(-0)
    expect(md.tokenizer.ggml.scores[t.model.vocab[c + d]]).toBe(-5)
    expect(md.tokenizer.ggml.token_type[t.model.vocab['<0x41>']]).toBe(6)
    expect(md.tokenizer.ggml.token_type[0]).toBe(2) // <unk>: unknown, as SentencePiece marks it
    expect(md.tokenizer.ggml.token_type[1]).toBe(3) // <s>: control
    expect(md.tokenizer.ggml.unknown_token_id).toBe(0)
    expect(md.tokenizer.ggml.add_bos_token).toBe(true)
  })

  it('refuses a tokenizer llama.cpp cannot reproduce, naming the file and what it has', () => {
    const word = join(tmp, 'wordlevel')
    writeTinyLlama(word)
    expect(() => encodeBaseGguf(word)).toThrow(/wordlevel\/tokenizer\.json: only BPE tokenizers .* this one is "WordLevel"/)

    const whitespace = join(tmp, 'whitespace-bpe')
    writeTinyLlamaWithBpe(whitespace, 'gpt-2')
    const file = join(whitespace, 'tokenizer.json')
    const t = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({...t, pre_tokenizer: {type: 'Whitespace'}}))
    expect(() => encodeBaseGguf(whitespace)).toThrow(
      /whitespace-bpe\/tokenizer\.json: llama\.cpp has no tokenizer that splits text as the pre-tokenizer "Whitespace"/,
    )

    writeFileSync(file, JSON.stringify({...t, normalizer: {type: 'Lowercase'}}))
    expect(() => encodeBaseGguf(whitespace)).toThrow(/a Lowercase normalizer before the gpt-2 pre-tokenizer/)
  })
})
