/**
 * `openledger dev --once` on each template, twice in the same folder: the first run (devnet start,
 * datanet publish, training, model publish) is the baseline; the second, with nothing changed,
 * should take a fraction of it. Runs the built CLI (`npm run build` first), as a user would.
 *
 *   npx tsx bench/dev.ts [--template text-classifier] [--json]
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import {execa} from 'execa'

import {listTemplates, scaffoldProject} from '../src/init/index.js'
import {type Row, printTable} from './report.js'

const BIN = join(import.meta.dirname, '..', 'bin', 'run.js')

export type DevBenchResult = {
  template: string
  first: {ms: number; pipelineSeconds: number; trained: number; published: number}
  second: {ms: number; pipelineSeconds: number; trained: number; published: number; changed: boolean}
}

async function devOnce(dir: string): Promise<{ms: number; summary: any}> {
  const t0 = performance.now()
  const r = await execa(process.execPath, [BIN, 'dev', '--once', '--json'], {
    cwd: dir,
    stdin: 'ignore',
    reject: false,
    env: {NO_COLOR: '1', OPENLEDGER_L1_PORT: '0', OPENLEDGER_L2_PORT: '0'},
  })
  const ms = performance.now() - t0
  if (r.exitCode !== 0) throw new Error(`dev --once failed in ${dir} (exit ${r.exitCode}): ${r.stdout || r.stderr}`)
  return {ms, summary: JSON.parse(r.stdout)}
}

const count = (s: any) => ({
  trained: s.models.filter((m: any) => m.trained).length,
  published: s.datanets.filter((d: any) => d.changed).length + s.models.filter((m: any) => m.published).length,
})

export async function runDevBench(opts: {templates?: string[]; log?: (line: string) => void} = {}): Promise<DevBenchResult[]> {
  const templates = opts.templates ?? listTemplates().map((t) => t.name)
  const out: DevBenchResult[] = []
  for (const template of templates) {
    const root = mkdtempSync(join(tmpdir(), 'openledger-bench-dev-'))
    const dir = join(root, 'app')
    try {
      scaffoldProject({dir, template})
      const a = await devOnce(dir)
      const b = await devOnce(dir)
      const r: DevBenchResult = {
        template,
        first: {ms: a.ms, pipelineSeconds: a.summary.seconds, ...count(a.summary)},
        second: {ms: b.ms, pipelineSeconds: b.summary.seconds, ...count(b.summary), changed: b.summary.changed},
      }
      if (r.second.changed || r.second.trained || r.second.published)
        throw new Error(`${template}: the second dev --once changed something`)
      opts.log?.(`  ${template}: first ${a.ms.toFixed(0)} ms, second ${b.ms.toFixed(0)} ms`)
      out.push(r)
    } finally {
      await execa(process.execPath, [BIN, 'devnet', 'stop'], {cwd: dir, reject: false, stdin: 'ignore'})
      rmSync(root, {recursive: true, force: true})
    }
  }
  return out
}

export function devBenchRows(results: DevBenchResult[]): Row[] {
  return results.flatMap((r) => [
    {
      name: `${r.template}: first dev --once (baseline)`,
      ms: r.first.ms,
      note: `pipeline ${r.first.pipelineSeconds} s; ${r.first.trained} trained, ${r.first.published} published`,
    },
    {
      name: `${r.template}: second, nothing changed`,
      ms: r.second.ms,
      baseline: r.first.ms,
      note: `pipeline ${r.second.pipelineSeconds} s; nothing trained or published`,
    },
    {name: `${r.template}: pipeline only, first (baseline)`, ms: r.first.pipelineSeconds * 1000},
    {
      name: `${r.template}: pipeline only, second`,
      ms: r.second.pipelineSeconds * 1000,
      baseline: r.first.pipelineSeconds * 1000,
      note: 'without Node and CLI start-up',
    },
  ])
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values} = parseArgs({options: {template: {type: 'string', multiple: true}, json: {type: 'boolean', default: false}}})
  const results = await runDevBench({templates: values.template})
  if (values.json) console.log(JSON.stringify(results, null, 2))
  else printTable('dev --once per template: first run vs a second with nothing changed (whole CLI process)', devBenchRows(results))
}
