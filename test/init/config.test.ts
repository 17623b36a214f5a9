import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {
  CONFIG_SCHEMA_REF,
  ConfigError,
  configSchema,
  configSchemaPath,
  loadProjectConfig,
  modelConfigOf,
  validateProjectConfig,
  validateSchema,
} from '../../src/config/index.js'
import {listTemplates, templatesDir} from '../../src/init/index.js'
import {DEFAULT_MODEL_CONFIG} from '../../src/model/config.js'
import {tempDir} from '../helpers/env.js'

const base = () => ({
  name: 'app',
  datanets: [{name: 'tickets', files: ['data/*.jsonl']}],
  models: [{name: 'router', datanet: 'tickets', text_field: 'text', label_field: 'label'}],
})

function errorOf(value: unknown): string {
  try {
    validateProjectConfig(value)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).exitCode).toBe(2)
    return (err as ConfigError).shortMessage
  }
  throw new Error('expected a ConfigError')
}

describe('openledger.config.json schema', () => {
  it('is a draft 2020-12 schema that Ajv compiles in strict mode (no keyword it would skip)', () => {
    expect(configSchema().$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(validateSchema(base(), configSchema())).toEqual([])
    expect(() => validateSchema({}, {type: 'object', properties: {a: {type: 'string', formatt: 'x'} as never}, $id: 'test:typo'})).toThrow(
      /unknown keyword/,
    )
  })

  it("lists exactly src/model's config keys for a model, plus name and datanet", () => {
    const model = configSchema().$defs!.model
    expect(Object.keys(model.properties!).sort()).toEqual(['datanet', 'name', ...Object.keys(DEFAULT_MODEL_CONFIG)].sort())
    for (const [k, v] of Object.entries(DEFAULT_MODEL_CONFIG)) {
      const prop = model.properties![k]
      if (prop.default !== undefined) expect(prop.default, k).toEqual(v)
    }
  })

  it('accepts a valid config and fills in the training defaults', () => {
    const c = validateProjectConfig(base())
    expect(modelConfigOf(c.models![0])).toEqual({...DEFAULT_MODEL_CONFIG, text_field: 'text', label_field: 'label'})
    const tuned = modelConfigOf({...c.models![0], learning_rate: 0.01, seed: 1, device: 'cpu'})
    expect(tuned).toMatchObject({learning_rate: 0.01, seed: 1, device: 'cpu', num_train_epochs: DEFAULT_MODEL_CONFIG.num_train_epochs})
  })

  it('names the JSON path of a wrong type', () => {
    const c = base() as any
    c.models[0].learning_rate = '0.1'
    expect(errorOf(c)).toBe('openledger.config.json: $.models[0].learning_rate must be a number')
    const d = base() as any
    d.models[0].num_train_epochs = 2.5
    expect(errorOf(d)).toBe('openledger.config.json: $.models[0].num_train_epochs must be an integer')
    const e = base() as any
    e.datanets = {name: 'x'}
    expect(errorOf(e)).toBe('openledger.config.json: $.datanets must be an array')
    const f = base() as any
    f.datanets[0].files = 'data/*.jsonl'
    expect(errorOf(f)).toBe('openledger.config.json: $.datanets[0].files must be an array')
    expect(errorOf([])).toBe('openledger.config.json: $ must be an object')
  })

  it('names an unknown key at any depth', () => {
    expect(errorOf({...base(), modles: []})).toMatch(/^openledger\.config\.json: \$\.modles is not a known key \(known: .*models/)
    const c = base() as any
    c.models[0].lr = 0.1
    expect(errorOf(c)).toMatch(/^openledger\.config\.json: \$\.models\[0\]\.lr is not a known key \(known: name, datanet, /)
    const d = base() as any
    d.datanets[0]['text field'] = 'body'
    expect(errorOf(d)).toMatch(/^openledger\.config\.json: \$\.datanets\[0\]\["text field"\] is not a known key/)
    expect(errorOf({...base(), serve: {port: 80, host: 'x'}})).toMatch(/^openledger\.config\.json: \$\.serve\.host is not a known key/)
  })

  it('names a missing required key, a bad enum value, a range and a pattern', () => {
    const c = base() as any
    delete c.models[0].datanet
    expect(errorOf(c)).toBe('openledger.config.json: $.models[0].datanet is required')
    expect(errorOf({datanets: []})).toBe('openledger.config.json: $.name is required')
    expect(errorOf({...base(), network: 'goerli'})).toBe('openledger.config.json: $.network must be one of "devnet", "testnet", "mainnet"')
    const d = base() as any
    d.models[0].device = 'tpu'
    expect(errorOf(d)).toBe('openledger.config.json: $.models[0].device must be one of "auto", "cpu", "webgpu", "cuda"')
    const e = base() as any
    e.models[0].val_size = 1
    expect(errorOf(e)).toBe('openledger.config.json: $.models[0].val_size must be < 1')
    const f = base() as any
    f.models[0].learning_rate = 0
    expect(errorOf(f)).toBe('openledger.config.json: $.models[0].learning_rate must be > 0')
    expect(errorOf({...base(), serve: {port: 70000}})).toBe('openledger.config.json: $.serve.port must be ≤ 65535')
    expect(errorOf({...base(), name: 'my app'})).toMatch(/^openledger\.config\.json: \$\.name must match /)
    const g = base() as any
    g.datanets[0].files = []
    expect(errorOf(g)).toBe('openledger.config.json: $.datanets[0].files must have at least 1 item')
    const h = base() as any
    h.datanets[0].files = ['']
    expect(errorOf(h)).toBe('openledger.config.json: $.datanets[0].files[0] must not be empty')
    expect(errorOf({...base(), agent: {stake: 100}})).toBe('openledger.config.json: $.agent.stake must be a string')
    expect(errorOf({...base(), agent: {stake: '1e3'}})).toMatch(/^openledger\.config\.json: \$\.agent\.stake must match /)
  })

  it('checks what a schema cannot: unique names, a model naming a datanet of the config', () => {
    const c = base() as any
    c.models[0].datanet = 'tikets'
    expect(errorOf(c)).toBe('openledger.config.json: $.models[0].datanet "tikets" is not a datanet of this config ($.datanets has tickets)')
    const d = base() as any
    d.datanets.push({name: 'tickets', files: ['x.csv']})
    expect(errorOf(d)).toBe('openledger.config.json: $.datanets[1].name "tickets" is already the name of $.datanets[0]')
    const e = base() as any
    e.models.push({...e.models[0]})
    expect(errorOf(e)).toBe('openledger.config.json: $.models[1].name "router" is already the name of $.models[0]')
  })

  describe('loadProjectConfig', () => {
    const tmp = tempDir()
    afterAll(() => tmp.cleanup())

    it('a missing file, invalid JSON, then a valid file', () => {
      expect(() => loadProjectConfig(tmp.dir)).toThrow(/openledger\.config\.json: no such file/)
      writeFileSync(join(tmp.dir, 'openledger.config.json'), '{\n  "name": "app",\n  "models": [,]\n}\n')
      expect(() => loadProjectConfig(tmp.dir)).toThrow(/openledger\.config\.json(:3:\d+)?: not valid JSON/)
      writeFileSync(join(tmp.dir, 'openledger.config.json'), JSON.stringify(base()))
      const loaded = loadProjectConfig(tmp.dir)
      expect(loaded.dir).toBe(tmp.dir)
      expect(loaded.config.name).toBe('app')
    })
  })

  it('every template config is valid, and its $schema is the shipped schema once installed', () => {
    const templates = listTemplates()
    expect(templates.length).toBeGreaterThanOrEqual(3)
    for (const t of templates) {
      const text = readFileSync(join(templatesDir(), t.name, 'openledger.config.json'), 'utf8')
      const json = JSON.parse(text)
      expect(() => validateProjectConfig(json), t.name).not.toThrow()
      expect(json.$schema).toBe(CONFIG_SCHEMA_REF)
    }
    expect(CONFIG_SCHEMA_REF.replace('./node_modules/openledger/', '')).toBe('schemas/openledger.config.schema.json')
    expect(configSchemaPath().replaceAll('\\', '/')).toMatch(/\/schemas\/openledger\.config\.schema\.json$/)
  })
})
