import {existsSync, readFileSync} from 'node:fs'
import {spawn} from 'node:child_process'
import {join} from 'node:path'

/** Shared printing for `npm run bench`: every row shows its time and, when it has one, the ratio to a baseline measured in the same run. */
export type Row = {name: string; ms: number; baseline?: number; note?: string}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function printTable(title: string, rows: Row[]): void {
  process.stdout.write(`\n${title}\n`)
  const width = Math.max(...rows.map((r) => r.name.length))
  for (const r of rows) {
    const ratio = r.baseline ? `  ${(r.ms / r.baseline).toFixed(2)}× baseline` : ''
    process.stdout.write(`  ${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(9)} ms${ratio}${r.note ? `  (${r.note})` : ''}\n`)
  }
}

export type Timings = {min: number; median: number}

/** Runs `fn` `times` times: the min and median wall time of one run, in ms. */
export function timeRepeated(times: number, fn: () => unknown): Timings {
  const runs: number[] = []
  for (let r = 0; r < times; r++) {
    const t0 = performance.now()
    fn()
    runs.push(performance.now() - t0)
  }
  return {min: Math.min(...runs), median: median(runs)}
}

/**
 * Runs a bench script (bench/<script>) in its own process with `params` as JSON and returns the
 * JSON it prints: a load generator must never share the process it measures.
 */
export function runBenchScript<T>(script: string, params: unknown): Promise<T> {
  const root = join(import.meta.dirname, '..')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', script), JSON.stringify(params)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`bench/${script} exited ${code}`))))
  })
}

/** The memory-pass baseline: a sum over the array in four independent accumulators (vectorisable). */
export function unrolledSum(a: Float32Array): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let i = 0
  for (; i + 3 < a.length; i += 4) {
    s0 += a[i]
    s1 += a[i + 1]
    s2 += a[i + 2]
    s3 += a[i + 3]
  }
  for (; i < a.length; i++) s0 += a[i]
  return s0 + s1 + s2 + s3
}

/**
 * The process's peak resident set in MiB: VmHWM from /proc/self/status. Not getrusage's ru_maxrss,
 * which in a child process carries over the parent's resident size at fork (a bench that spawns its
 * measurement from a parent holding large matrices would report the parent's).
 */
export function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '')
  return (m ? Number(m[1]) : process.resourceUsage().maxRSS) / 1024
}
