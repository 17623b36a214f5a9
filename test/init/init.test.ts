import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {listTemplates, templateFiles, targetPath} from '../../src/init/index.js'
import {cli} from '../helpers/cli.js'
import {tempDir} from '../helpers/env.js'
import {expectSchema} from '../helpers/json-schema.js'

describe('openledger init (through bin/run.js, stdin closed)', () => {
  const tmp = tempDir('openledger-init-')
  afterAll(() => tmp.cleanup())

  it('--list --json lists at least three templates with a description', async () => {
    const r = await cli(tmp.dir, ['init', '--list', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json.map((t: {name: string}) => t.name)).toEqual(
      expect.arrayContaining(['text-classifier', 'community-datanet', 'paid-agent']),
    )
    expectSchema('init', r.json)
    for (const t of r.json) expect(Object.keys(t).sort()).toEqual(['description', 'name'])
    for (const t of r.json) expect(t.description.length).toBeGreaterThan(10)
  })

  it('scaffolds every template into a new folder without asking anything', async () => {
    for (const {name} of listTemplates()) {
      const r = await cli(tmp.dir, ['init', `app-${name}`, '--template', name, '--json'])
      expect(r.exitCode, r.stderr).toBe(0)
      const dir = join(tmp.dir, `app-${name}`)
      expectSchema('init', r.json)
      expect(r.json).toMatchObject({dir, template: name, name: `app-${name}`})
      expect(r.json.files).toEqual(templateFiles(name).map(targetPath))
      expect(r.json.files).toEqual(
        expect.arrayContaining(['openledger.config.json', 'README.md', '.github/workflows/openledger.yml', '.gitignore', 'package.json']),
      )
      expect(r.json.files).not.toContain('template.json')
      for (const f of r.json.files) expect(existsSync(join(dir, f)), f).toBe(true)
      const config = JSON.parse(readFileSync(join(dir, 'openledger.config.json'), 'utf8'))
      expect(config.name).toBe(`app-${name}`)
      expect(config.$schema).toBe('./node_modules/openledger/schemas/openledger.config.schema.json')
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      expect(pkg.name).toBe(`app-${name}`)
      // Not on the npm registry: a dependency on it would make `npm install` fail.
      expect(pkg.devDependencies?.openledger).toBeUndefined()
      expect(readFileSync(join(dir, 'README.md'), 'utf8').split('\n')[0]).toBe(`# app-${name}`)
      expect(readFileSync(join(dir, '.github/workflows/openledger.yml'), 'utf8')).toContain('\n        run: openledger dev --once --json')
      const rows = readdirSync(join(dir, 'data'), {recursive: true}).filter((f) => String(f).endsWith('.jsonl'))
      expect(rows.length).toBeGreaterThan(0)
    }
    // Staged in a temp folder beside the target and renamed: nothing left behind.
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([])
  })

  it('without --template or a folder: the first template, in a folder named after --name', async () => {
    const r = await cli(tmp.dir, ['init', '--name', 'my-agent', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.json).toMatchObject({dir: join(tmp.dir, 'my-agent'), template: listTemplates()[0].name, name: 'my-agent'})
  })

  it('human output says what was made and what to run next', async () => {
    const r = await cli(tmp.dir, ['init', 'human', '--template', 'paid-agent'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain('Created human from the paid-agent template in human')
    expect(r.stdout).toMatch(/^  openledger dev /m)
    expect(r.stdout).not.toMatch(/npm install|npx/)
  })

  it('refuses a non-empty folder in one line (exit 2) and touches nothing; --force writes into it', async () => {
    const dir = join(tmp.dir, 'busy')
    mkdirSync(dir)
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    writeFileSync(join(dir, 'README.md'), 'old readme')
    const r = await cli(tmp.dir, ['init', 'busy', '--template', 'text-classifier'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^Error: busy is not empty: choose another folder, or pass --force/)
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'notes.txt'])
    const j = await cli(tmp.dir, ['init', 'busy', '--template', 'text-classifier', '--json'])
    expect(j.exitCode).toBe(2)
    expect(j.json.error).toMatchObject({code: 'E_USAGE'})

    const f = await cli(tmp.dir, ['init', 'busy', '--template', 'text-classifier', '--force', '--json'])
    expect(f.exitCode, f.stderr).toBe(0)
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine')
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# busy\n/)
    expect(existsSync(join(dir, 'openledger.config.json'))).toBe(true)
    expect(readdirSync(tmp.dir).filter((x) => x.startsWith('.'))).toEqual([])
  })

  it('an empty folder is fine without --force', async () => {
    mkdirSync(join(tmp.dir, 'empty'))
    const r = await cli(tmp.dir, ['init', 'empty', '--template', 'community-datanet', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(existsSync(join(tmp.dir, 'empty', 'data', 'seed', 'reports.jsonl'))).toBe(true)
  })

  it('an unknown template or a bad name: one line naming the flag, exit 2, nothing written', async () => {
    const a = await cli(tmp.dir, ['init', 'x1', '--template', 'nope'])
    expect(a.exitCode).toBe(2)
    expect(a.stderr.trim()).toBe('Error: --template nope: no such template (text-classifier, community-datanet, paid-agent, chat-agent)')
    const b = await cli(tmp.dir, ['init', 'x2', '--name', 'bad name!'])
    expect(b.exitCode).toBe(2)
    expect(b.stderr).toMatch(/^Error: --name "bad name!": use 1 to 64 letters/)
    expect(existsSync(join(tmp.dir, 'x1'))).toBe(false)
    expect(existsSync(join(tmp.dir, 'x2'))).toBe(false)
  })
})
