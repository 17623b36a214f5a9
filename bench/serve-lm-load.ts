/**
 * The load generator of bench/serve-lm.ts, run as its own process so that its CPU is never the
 * server's: `clients` concurrent clients, each POSTing the next of the given JSON bodies as soon as
 * its previous answer is read, for `seconds`. Answers are read whole (OpenAI completions JSON), so
 * the tokens counted are the ones the server says it generated (usage.completion_tokens). Prints one
 * JSON line: {requests, tokens, seconds, p50, p99, errors}.
 *
 *   node --import tsx bench/serve-lm-load.ts '{"url":…,"seconds":4,"clients":8,"bodies":["…"]}'
 */
export type LmLoadParams = {url: string; seconds: number; clients: number; bodies: string[]}
export type LmLoadResult = {requests: number; tokens: number; seconds: number; p50: number; p99: number; errors: number}

const p = JSON.parse(process.argv[2] ?? '{}') as LmLoadParams
const latencies: number[] = []
let tokens = 0
let errors = 0
let next = 0
const start = performance.now()
const deadline = start + p.seconds * 1000
let last = start

async function client(): Promise<void> {
  while (performance.now() < deadline) {
    const body = p.bodies[next++ % p.bodies.length]
    const t0 = performance.now()
    try {
      const res = await fetch(p.url, {method: 'POST', headers: {'content-type': 'application/json'}, body})
      const json = (await res.json()) as {usage?: {completion_tokens?: number}}
      if (res.status !== 200 || typeof json.usage?.completion_tokens !== 'number') errors++
      else tokens += json.usage.completion_tokens
    } catch {
      errors++
    }
    last = performance.now()
    latencies.push(last - t0)
  }
}

await Promise.all(Array.from({length: p.clients}, client))
const sorted = latencies.sort((a, b) => a - b)
const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0)
const out: LmLoadResult = {requests: sorted.length, tokens, seconds: (last - start) / 1000, p50: at(0.5), p99: at(0.99), errors}
process.stdout.write(JSON.stringify(out) + '\n')
