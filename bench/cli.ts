/**
 * CLI start-up through the built `bin/run.js`, each command its own process as a user runs it, every
 * row a ratio to `node -e 0` timed in the same run (interleaved, so machine load hits both alike).
 * `devnet start --detach` is also compared with its budget: two bare anvils + 4× `node -e 0`.
 * Needs `npm run build` first.  Run: npm run bench -- cli
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {median, printTable, type Row} from './report.js'
import {bareAnvils} from './devnet.js'

const BIN = join(import.meta.dirname, '..', 'bin', 'run.js')

type Timing = {min: number; median: number}
const stats = (xs: number[]): Timing => ({min: Math.min(...xs), median: median(xs)})

/**
 * Loaded with -r into each timed process: its own CPU time (user + system), written to fd 3 at exit.
 * On a shared machine wall time swings with the load; CPU time much less, so the rows show both.
 * The variable is removed at once, so a child given our execArgv (the devnet supervisor) is silent.
 */
const CPU_PROBE = `if (process.env.OPENLEDGER_BENCH_CPU_FD) {
  delete process.env.OPENLEDGER_BENCH_CPU_FD
  process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(3, String((u.user + u.system) / 1000)) })
}
`
let cpuProbe = ''

/** One process, as a user runs it: its wall time and its own CPU time (ms). */
function timeProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv, expectExit = 0): {ms: number; cpu: number} {
  const t = performance.now()
  const r = spawnSync(process.execPath, ['-r', cpuProbe, ...args], {
    cwd,
    env: {...env, OPENLEDGER_BENCH_CPU_FD: '3'},
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
  })
  const ms = performance.now() - t
  if (r.status !== expectExit) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`)
  return {ms, cpu: Number(r.output[3])}
}

/** A folder with a draft datanet and a model trained on it, made through the CLI itself. */
function makeProject(cwd: string, env: NodeJS.ProcessEnv): string {
  const topics = {
    sport: ['the team won the final match', 'a late goal decided the game', 'the striker scored twice', 'fans cheered the champions'],
    weather: ['heavy rain flooded the streets', 'a storm swept the coast', 'snow closed the mountain pass', 'the heatwave broke records'],
  }
  const rows = Object.entries(topics).flatMap(([label, texts]) =>
    texts.flatMap((t, i) => [0, 1, 2].map((k) => JSON.stringify({text: `${t} ${i}-${k}`, label}))),
  )
  writeFileSync(join(cwd, 'news.jsonl'), rows.join('\n') + '\n')
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {cwd, env, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`openledger ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`)
    return r.stdout
  }
  run(['datanet', 'create', 'news'])
  run(['datanet', 'add', 'news', 'news.jsonl'])
  const trained = JSON.parse(
    run([
      'train',
      '--datanet',
      'news',
      '--allow-draft',
      '--text-field',
      'text',
      '--label-field',
      'label',
      '--epochs',
      '2',
      '--device',
      'cpu',
      '--json',
    ]),
  )
  return trained.artifact as string
}

export async function benchCli(runs = 7): Promise<Row[]> {
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'app', 'main.js'))) throw new Error('bench cli needs a build: npm run build')
  const work = mkdtempSync(join(tmpdir(), 'openledger-bench-cli-'))
  cpuProbe = join(work, 'cpu-probe.cjs')
  writeFileSync(cpuProbe, CPU_PROBE)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    NODE_ENV: 'production',
    OPENLEDGER_CACHE_DIR: join(work, 'cache'),
    OPENLEDGER_OFFLINE: '1',
  }
  delete env.OPENLEDGER_STATE_DIR
  try {
    const model = makeProject(work, env)
    const commands: {name: string; args: string[]; target: number; exit?: number}[] = [
      {name: '--version', args: ['--version'], target: 2.5},
      {name: '--help', args: ['--help'], target: 2.5},
      {name: 'datanet list', args: ['datanet', 'list'], target: 2.5},
      {name: 'contracts list', args: ['contracts', 'list'], target: 2.5},
      {name: 'devnet status (not running)', args: ['devnet', 'status'], target: 2.5, exit: 3},
      {
        name: 'infer --text --device cpu',
        args: ['infer', '--model', model, '--text', 'the storm hit the coast', '--device', 'cpu'],
        target: 3,
      },
      // --device auto (the default) asks cuda and webgpu first. The WebGPU probe's answer is cached on
      // disk (src/model/backend.ts) and the warm-up below fills that cache, so this row shows what auto
      // costs on top of the one above once probed: the WebGPU session itself where WebGPU is found.
      {name: 'infer --text (--device auto)', args: ['infer', '--model', model, '--text', 'the storm hit the coast'], target: 3},
    ]
    // Warm the file system cache and the genesis cache (the first devnet start builds it).
    timeProcess(['-e', '0'], work, env)
    for (const c of commands) timeProcess([BIN, ...c.args], work, env, c.exit)
    timeProcess([BIN, 'devnet', 'start', '--detach'], work, env)
    timeProcess([BIN, 'devnet', 'stop'], work, env)

    const bare: number[] = []
    const bareCpu: number[] = []
    const byCommand = new Map<string, {ms: number; cpu: number}[]>(commands.map((c) => [c.name, []]))
    const running: {ms: number; cpu: number}[] = []
    const startDetach: number[] = []
    const anvils: number[] = []
    const node = () => {
      const r = timeProcess(['-e', '0'], work, env)
      bare.push(r.ms)
      bareCpu.push(r.cpu)
    }
    for (let i = 0; i < runs; i++) {
      for (const c of commands) {
        node()
        byCommand.get(c.name)!.push(timeProcess([BIN, ...c.args], work, env, c.exit))
      }
      anvils.push(await bareAnvils())
      startDetach.push(timeProcess([BIN, 'devnet', 'start', '--detach'], work, env).ms)
      timeProcess([BIN, 'devnet', 'stop'], work, env)
    }
    // Status of a running devnet, asked once it has settled (right after start the supervisor is
    // still loading the relayer, which would be measured instead).
    timeProcess([BIN, 'devnet', 'start', '--detach'], work, env)
    timeProcess([BIN, 'devnet', 'status'], work, env)
    for (let i = 0; i < runs; i++) {
      node()
      running.push(timeProcess([BIN, 'devnet', 'status'], work, env))
    }
    timeProcess([BIN, 'devnet', 'stop'], work, env)
    const wall = stats(bare)
    const cpu = stats(bareCpu)
    const row = (name: string, runs: {ms: number; cpu: number}[], target: string): Row => {
      const t = stats(runs.map((r) => r.ms))
      const c = stats(runs.map((r) => r.cpu))
      return {
        name,
        ms: t.median,
        baseline: wall.median,
        note: `min ${t.min.toFixed(0)} ms = ${(t.min / wall.min).toFixed(2)}× min; CPU ${(c.median / cpu.median).toFixed(2)}× median, ${(c.min / cpu.min).toFixed(2)}× min; target ${target}`,
      }
    }
    const budget = stats(anvils.map((a, i) => a + 4 * bare[i]))
    return [
      {
        name: 'node -e 0',
        ms: wall.median,
        baseline: wall.median,
        note: `min ${wall.min.toFixed(0)} ms; CPU median ${cpu.median.toFixed(0)} ms, min ${cpu.min.toFixed(0)} ms`,
      },
      ...commands.map((c) => row(c.name, byCommand.get(c.name)!, `≤ ${c.target}×`)),
      row('devnet status (running)', running, '≤ 3×'),
      {
        name: 'two bare anvils (L1 + OP L2)',
        ms: stats(anvils).median,
        baseline: wall.median,
        note: `min ${stats(anvils).min.toFixed(0)} ms`,
      },
      {
        name: 'devnet start --detach',
        ms: stats(startDetach).median,
        baseline: wall.median,
        note: `${(stats(startDetach).median / budget.median).toFixed(2)}× its budget of two bare anvils + 4× node -e 0 (${budget.median.toFixed(0)} ms; target ≤ 1×), ${(stats(startDetach).min / budget.min).toFixed(2)}× by min; min ${stats(startDetach).min.toFixed(0)} ms`,
      },
    ]
  } finally {
    spawnSync(process.execPath, [BIN, 'devnet', 'stop'], {cwd: work, env, stdio: 'ignore'})
    rmSync(work, {recursive: true, force: true})
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printTable('cli: start-up through bin/run.js vs node -e 0', await benchCli())
