/**
 * The load generator of bench/serve.ts, run as its own process so that its CPU is never the
 * server's: autocannon against one URL, POSTing the given JSON bodies round-robin. Prints one JSON
 * line: {rps, p50, p99, errors, non2xx}.
 *
 *   node --import tsx bench/serve-load.ts '{"url":…,"seconds":3,"connections":32,"bodies":["…"]}'
 */
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon'

export type LoadParams = {url: string; seconds: number; connections: number; bodies: string[]}
export type LoadResult = {rps: number; p50: number; p99: number; errors: number; non2xx: number}

const p = JSON.parse(process.argv[2] ?? '{}') as LoadParams
let k = 0
const r = await autocannon({
  url: p.url,
  connections: p.connections,
  duration: p.seconds,
  method: 'POST',
  headers: {'content-type': 'application/json'},
  requests: [{method: 'POST', setupRequest: (req: Record<string, unknown>) => ({...req, body: p.bodies[k++ % p.bodies.length]})}],
})
const out: LoadResult = {rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx}
process.stdout.write(JSON.stringify(out) + '\n')
