import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {floatToHalf, halfToFloat, toFloat16Bytes, toFloat32} from '../../src/model/half.js'
import {decodeSafetensors, decodeSafetensorsRaw, encodeSafetensors} from '../../src/model/safetensors.js'
import {
  BASE_SHA256_KEY,
  type LoraSettings,
  type LoraTarget,
  type LoraWeight,
  baseWeightsSha256,
  peftTensorName,
  projectionSize,
  readPeftAdapter,
  writePeftAdapter,
} from '../../src/lm/peft.js'
import {llamaShape, readLlamaConfig} from '../../src/lm/config.js'

/**
 * The keys of adapter_config.json as PEFT v0.18.1 writes them: the dataclass fields of PeftConfig
 * (src/peft/config.py) and LoraConfig (src/peft/tuners/lora/config.py), less runtime_config, which
 * LoraConfig.to_dict drops; json.dumps(indent=2, sort_keys=True).
 */
const PEFT_0_18_1_KEYS = [
  'alora_invocation_tokens',
  'alpha_pattern',
  'arrow_config',
  'auto_mapping',
  'base_model_name_or_path',
  'bias',
  'corda_config',
  'ensure_weight_tying',
  'eva_config',
  'exclude_modules',
  'fan_in_fan_out',
  'inference_mode',
  'init_lora_weights',
  'layer_replication',
  'layers_pattern',
  'layers_to_transform',
  'loftq_config',
  'lora_alpha',
  'lora_bias',
  'lora_dropout',
  'megatron_config',
  'megatron_core',
  'modules_to_save',
  'peft_type',
  'peft_version',
  'qalora_group_size',
  'r',
  'rank_pattern',
  'revision',
  'target_modules',
  'target_parameters',
  'task_type',
  'trainable_token_indices',
  'use_dora',
  'use_qalora',
  'use_rslora',
]

let tmp: string
let baseDir: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ol-peft-'))
  // A base needs only config.json for shape checks; its weights file names it by content.
  baseDir = join(tmp, 'base')
  mkdirSync(baseDir)
  writeFileSync(
    join(baseDir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 64,
      rms_norm_eps: 1e-5,
      max_position_embeddings: 64,
    }),
  )
  writeFileSync(
    join(baseDir, 'model.safetensors'),
    encodeSafetensors({'model.norm.weight': {shape: [32], data: new Float32Array(32).fill(1)}}),
  )
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

let seed = 7
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1

function adapterFor(targets: LoraTarget[], r: number): {settings: LoraSettings; weights: LoraWeight[]} {
  const shape = llamaShape(readLlamaConfig(baseDir))
  const weights: LoraWeight[] = []
  for (let layer = 0; layer < shape.layers; layer++) {
    for (const module of targets) {
      const size = projectionSize(module, shape)
      weights.push({
        layer,
        module,
        a: {shape: [r, size.in], data: Float32Array.from({length: r * size.in}, random)},
        b: {shape: [size.out, r], data: Float32Array.from({length: size.out * r}, random)},
      })
    }
  }
  return {
    settings: {
      r,
      alpha: 2 * r,
      dropout: 0.05,
      targetModules: targets,
      baseModel: 'openledger-base',
      baseSha256: baseWeightsSha256(baseDir),
    },
    weights,
  }
}

describe('PEFT adapter files', () => {
  it('round-trips through adapter_config.json and adapter_model.safetensors with PEFT names and fields', () => {
    const dir = join(tmp, 'a1')
    const adapter = adapterFor(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], 4)
    writePeftAdapter(dir, adapter)

    const config = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))
    expect(Object.keys(config)).toEqual(PEFT_0_18_1_KEYS) // in sort_keys order, as PEFT writes
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.05,
      bias: 'none',
      fan_in_fan_out: false,
      use_rslora: false,
      use_dora: false,
      base_model_name_or_path: 'openledger-base',
    })
    expect(config.target_modules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'])

    const file = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))))
    expect(Object.keys(file.tensors)).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')
    expect(Object.keys(file.tensors)).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight')
    expect(Object.keys(file.tensors)).toHaveLength(2 * 2 * 7)
    expect(file.tensors['base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight'].shape).toEqual([16, 4]) // [out = 2 kv heads × 8, r]
    expect(file.metadata).toEqual({
      format: 'pt',
      [BASE_SHA256_KEY]: createHash('sha256')
        .update(readFileSync(join(baseDir, 'model.safetensors')))
        .digest('hex'),
    })
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain(adapter.settings.baseSha256)

    const back = readPeftAdapter(dir, {baseDir})
    expect(back.settings).toEqual(adapter.settings)
    expect(back.weights).toHaveLength(adapter.weights.length)
    for (const w of adapter.weights) {
      const got = back.weights.find((x) => x.layer === w.layer && x.module === w.module)!
      expect(got.a.shape).toEqual(w.a.shape)
      expect(Array.from(got.a.data)).toEqual(Array.from(w.a.data))
      expect(Array.from(got.b.data)).toEqual(Array.from(w.b.data))
    }
  })

  it('reads an adapter written by PyTorch in PEFT 0.10 layout', () => {
    const dir = join(import.meta.dirname, '../fixtures/lm/gguf-reference/adapter')
    const adapter = readPeftAdapter(dir, {baseDir: join(import.meta.dirname, '../../assets/lm/openledger-base')})
    expect(adapter.settings).toMatchObject({
      r: 4,
      alpha: 8,
      targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'down_proj'],
      baseSha256: '',
    })
    expect(adapter.weights.map((w) => `${w.layer}.${w.module}`)).toContain('0.gate_proj')
  })

  it('reads F16 and BF16 tensors as PEFT writes for half-precision bases', () => {
    const values = Float32Array.from([0, 1, -2.5, 65504, 1e-7, 0.1, -0.333251953125])
    const half = toFloat16Bytes(values)
    const back = toFloat32({dtype: 'F16', shape: [values.length], bytes: half})
    // Exact where f16 represents the value; nearest f16 otherwise (0.1 → 0.0999755859375).
    expect(Array.from(back)).toEqual([0, 1, -2.5, 65504, 1.1920928955078125e-7, 0.0999755859375, -0.333251953125])
    expect(halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1) // a tie rounds to even
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc020]).buffer)
    expect(Array.from(toFloat32({dtype: 'BF16', shape: [2], bytes: bf16}))).toEqual([1, -2.5])
    // And through a whole file with an F16 header.
    const header = JSON.stringify({x: {dtype: 'F16', shape: [values.length], data_offsets: [0, half.length]}})
    const file = Buffer.concat([Buffer.from(new BigUint64Array([BigInt(header.length)]).buffer), Buffer.from(header), Buffer.from(half)])
    expect(decodeSafetensorsRaw(new Uint8Array(file)).tensors.x.dtype).toBe('F16')
  })
})

describe('PEFT adapter validation: one line naming the file', () => {
  function written(name: string, edit: (config: Record<string, unknown>) => void): string {
    const dir = join(tmp, name)
    writePeftAdapter(dir, adapterFor(['q_proj', 'v_proj'], 2))
    const path = join(dir, 'adapter_config.json')
    const config = JSON.parse(readFileSync(path, 'utf8'))
    edit(config)
    writeFileSync(path, JSON.stringify(config))
    return dir
  }

  it('a rank that does not match the tensors', () => {
    const dir = written('bad-r', (c) => (c.r = 3))
    expect(() => readPeftAdapter(dir)).toThrow(
      `${join(dir, 'adapter_model.safetensors')}: base_model.model.model.layers.0.self_attn.q_proj has rank 2/2 (lora_A rows / lora_B columns) but r is 3`,
    )
  })

  it('an unknown target module', () => {
    const dir = written('bad-target', (c) => (c.target_modules = ['q_proj', 'query_key_value']))
    expect(() => readPeftAdapter(dir)).toThrow(`${join(dir, 'adapter_config.json')}: unknown target module "query_key_value"`)
  })

  it('shapes that do not match the base', () => {
    const dir = written('bad-base', () => {})
    const other = join(tmp, 'wider-base')
    mkdirSync(other, {recursive: true})
    const config = JSON.parse(readFileSync(join(baseDir, 'config.json'), 'utf8'))
    writeFileSync(join(other, 'config.json'), JSON.stringify({...config, hidden_size: 64}))
    expect(() => readPeftAdapter(dir, {baseDir: other})).toThrow(
      /adapter_model\.safetensors: .*layers\.0\.self_attn\.q_proj maps 32 → 32 but the base's q_proj maps 64 → 64/,
    )
  })

  it('a base with the right shapes but other weights', () => {
    const dir = written('other-weights', () => {})
    const other = join(tmp, 'retrained-base')
    mkdirSync(other, {recursive: true})
    writeFileSync(join(other, 'config.json'), readFileSync(join(baseDir, 'config.json')))
    writeFileSync(
      join(other, 'model.safetensors'),
      encodeSafetensors({'model.norm.weight': {shape: [32], data: new Float32Array(32).fill(2)}}),
    )
    expect(() => readPeftAdapter(dir, {baseDir: other})).toThrow(
      /adapter_model\.safetensors: trained on a base whose weights hash to [0-9a-f]{12}…, but .*retrained-base hashes to [0-9a-f]{12}…/,
    )
  })

  it('a missing half of a pair and a tensor PEFT would not write', () => {
    const dir = join(tmp, 'bad-tensors')
    writePeftAdapter(dir, adapterFor(['q_proj'], 2))
    const path = join(dir, 'adapter_model.safetensors')
    const {tensors} = decodeSafetensors(new Uint8Array(readFileSync(path)))
    delete tensors[peftTensorName(1, 'q_proj', 'B')]
    writeFileSync(path, encodeSafetensors(tensors))
    expect(() => readPeftAdapter(dir)).toThrow(`${path}: 1.q_proj has lora_B missing`)
    writeFileSync(path, encodeSafetensors({...tensors, 'base_model.model.lm_head.lora_A.weight': {shape: [1], data: new Float32Array(1)}}))
    expect(() => readPeftAdapter(dir)).toThrow(
      `${path}: tensor base_model.model.lm_head.lora_A.weight is not a LoRA weight of a Llama projection`,
    )
  })

  it('settings PEFT can hold but openledger cannot apply', () => {
    expect(() => readPeftAdapter(written('dora', (c) => (c.use_dora = true)))).toThrow(
      /adapter_config\.json: use_dora = true is not supported/,
    )
    expect(() => readPeftAdapter(written('pattern', (c) => (c.target_modules = 'all-linear')))).toThrow(/target_modules must be a list/)
  })

  it('writes nothing when the adapter is invalid', () => {
    const dir = join(tmp, 'never')
    const adapter = adapterFor(['q_proj'], 2)
    expect(() => writePeftAdapter(dir, {...adapter, settings: {...adapter.settings, r: 0}})).toThrow(
      `${dir}: r must be a positive integer, got 0`,
    )
    expect(() => writePeftAdapter(dir, adapter, {base: {...llamaShape(readLlamaConfig(baseDir)), hidden: 16}})).toThrow(
      /maps 32 → 32 but the base's q_proj maps 16 → 32/,
    )
    expect(existsSync(dir)).toBe(false)
  })
})
