import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {cli} from '../helpers/cli.js'
import {expectSchema} from '../helpers/json-schema.js'
import {editDistance, nearestCommand} from '../../src/hooks/command-not-found.js'

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'))

describe('-h, -v, version and mistyped commands, through bin/run.js (stdin closed)', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  it('-h is --help, at the root and on a command', async () => {
    const root = await cli(tmp.dir, ['-h'])
    expect(root.exitCode, root.stderr).toBe(0)
    expect(root.stdout).toContain('USAGE')
    expect(root.stdout).toContain('datanet')
    const sub = await cli(tmp.dir, ['datanet', 'list', '-h'])
    expect(sub.exitCode, sub.stderr).toBe(0)
    expect(sub.stdout).toContain('$ openledger datanet list')
  })

  it('-v, --version and `version` print the same line; `version --json` its parts', async () => {
    const line = `openledger/${pkg.version} ${process.platform}-${process.arch} node-v${process.versions.node}`
    for (const args of [['-v'], ['--version'], ['version']]) {
      const r = await cli(tmp.dir, args)
      expect([r.exitCode, r.stdout.trim()], args.join(' ')).toEqual([0, line])
    }
    const json = await cli(tmp.dir, ['version', '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    expect(json.json).toEqual({
      name: 'openledger',
      version: pkg.version,
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
    })
    expectSchema('version', json.json)
  })

  it('a mistyped command names the nearest one and exits 2 without asking', async () => {
    const r = await cli(tmp.dir, ['datanet', 'lst'])
    expect(r.exitCode).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')).toEqual([
      'Error: "datanet lst" is not an openledger command',
      'Did you mean `openledger datanet list`?',
      '`openledger help` lists the commands.',
    ])
    expect(r.stderr).not.toContain('(Y/n)')
    const topic = await cli(tmp.dir, ['datanett', 'show', 'tickets'])
    expect([topic.exitCode, topic.stderr.split('\n')[1]]).toEqual([2, 'Did you mean `openledger datanet show`?'])
    const json = await cli(tmp.dir, ['stake', 'stauts', '--json'])
    expect(json.exitCode).toBe(2)
    expect(json.json.error).toMatchObject({
      code: 'E_UNKNOWN_COMMAND',
      message: '"stake stauts" is not an openledger command',
      hints: ['Did you mean `openledger stake status`?', '`openledger help` lists the commands.'],
    })
    const far = await cli(tmp.dir, ['xyzzy'])
    expect([far.exitCode, far.stderr.split('\n')]).toEqual([
      2,
      ['Error: "xyzzy" is not an openledger command', '`openledger help` lists the commands.'],
    ])
  })

  it('nearestCommand: edit distance over ids, the first argument taken as a subcommand, nothing when far', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
    const ids = ['datanet:list', 'datanet:show', 'devnet:start', 'devnet:status', 'infer']
    expect(nearestCommand('infr', [], ids)).toBe('infer')
    expect(nearestCommand('datanett', ['list'], ids)).toBe('datanet:list')
    expect(nearestCommand('devnet:statsu', [], ids)).toBe('devnet:status')
    expect(nearestCommand('bananas', [], ids)).toBeUndefined()
  })
})
