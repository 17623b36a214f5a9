/**
 * `npm run bench -- gguf`: exporting the default base to GGUF (f16 and f32) and reading a PEFT
 * adapter, each against a plain pass over the same bytes measured in the same run (read the file
 * and copy it once), so the ratio is the cost of the format work itself.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {encodeBaseGguf} from '../src/lm/gguf.js'
import {llamaShape, readLlamaConfig} from '../src/lm/config.js'
import {type LoraWeight, baseWeightsSha256, projectionSize, readPeftAdapter, writePeftAdapter} from '../src/lm/peft.js'
import {type Row, timeRepeated} from './report.js'

const BASE = join(import.meta.dirname, '../assets/lm/openledger-base')
const REPEAT = 5

const plainPass = (path: string) => () => Buffer.from(readFileSync(path))

export function ggufBenchRows(): Row[] {
  const tmp = mkdtempSync(join(tmpdir(), 'ol-bench-gguf-'))
  try {
    const weights = join(BASE, 'model.safetensors')
    const base = timeRepeated(REPEAT, plainPass(weights))
    const f16 = timeRepeated(REPEAT, () => encodeBaseGguf(BASE, {dtype: 'f16'}))
    const f32 = timeRepeated(REPEAT, () => encodeBaseGguf(BASE, {dtype: 'f32'}))

    const shape = llamaShape(readLlamaConfig(BASE))
    const r = 8
    const adapterWeights: LoraWeight[] = []
    for (let layer = 0; layer < shape.layers; layer++) {
      for (const module of ['q_proj', 'v_proj'] as const) {
        const size = projectionSize(module, shape)
        adapterWeights.push({
          layer,
          module,
          a: {shape: [r, size.in], data: new Float32Array(r * size.in).fill(0.01)},
          b: {shape: [size.out, r], data: new Float32Array(size.out * r).fill(0.01)},
        })
      }
    }
    const dir = join(tmp, 'adapter')
    writePeftAdapter(dir, {
      settings: {
        r,
        alpha: 16,
        dropout: 0,
        targetModules: ['q_proj', 'v_proj'],
        baseModel: 'openledger-base',
        baseSha256: baseWeightsSha256(BASE),
      },
      weights: adapterWeights,
    })
    const adapterFile = join(dir, 'adapter_model.safetensors')
    const adapterBase = timeRepeated(REPEAT, plainPass(adapterFile))
    const adapterRead = timeRepeated(REPEAT, () => readPeftAdapter(dir, {baseDir: BASE}))
    const row = (name: string, t: {min: number; median: number}, baseline: {min: number}, note: string): Row => ({
      name,
      ms: t.min,
      baseline: baseline.min,
      note: `median ${t.median.toFixed(1)} ms; ${note}`,
    })
    return [
      row('export base → GGUF f16', f16, base, 'baseline: read + copy model.safetensors'),
      row('export base → GGUF f32', f32, base, 'baseline: read + copy model.safetensors'),
      row('read + validate PEFT adapter (q,v; r = 8)', adapterRead, adapterBase, 'baseline: read + copy adapter_model.safetensors'),
    ]
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}
