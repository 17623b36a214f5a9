/**
 * Publishes a large datanet on a fresh devnet and reports time and peak RSS of each step:
 * create, add (files of 16k synthetic records, one call), publish (stream the version, Merkle
 * root, publishVersion on DatanetRegistry), then load it back verified against its root.
 *
 *   nice -n 10 npx tsx scripts/datanet-scale.ts [--records 2000000]
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {getAddress} from 'viem'

import {syntheticJsonl} from '../bench/datanet.js'
import {peakRssMiB} from '../bench/report.js'
import {addToDatanet, createDatanet, datanetChain, loadDatanetVersion, publishDatanet} from '../src/datanet/index.js'
import {startDevnet} from '../src/devnet/supervisor.js'

const {values} = parseArgs({options: {records: {type: 'string', default: '2000000'}}})
const n = Number(values.records)
const dir = mkdtempSync(join(tmpdir(), 'ol-datanet-scale-'))
const stateDir = join(dir, '.openledger')
const rssMiB = () => peakRssMiB().toFixed(0)
const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = performance.now()
  const out = await fn()
  console.log(`${name.padEnd(34)} ${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s   peak RSS so far ${rssMiB()} MiB`)
  return out
}

const devnet = await step('devnet start', () => startDevnet({stateDir, l1Port: 0, l2Port: 0}))
try {
  const files = await step(`write ${n} records as JSONL files`, async () => {
    mkdirSync(join(dir, 'in'))
    const paths: string[] = []
    for (let first = 0, f = 0; first < n; first += 16_000, f++) {
      const path = join(dir, 'in', `${String(f).padStart(5, '0')}.jsonl`)
      writeFileSync(path, syntheticJsonl(Math.min(16_000, n - first), f + 1, first))
      paths.push(path)
    }
    return paths
  })
  await createDatanet({name: 'scale', stateDir})
  const contributor = getAddress('0x0000000000000000000000000000000000000001')
  const added = await step(`datanet add (${files.length} files)`, () => addToDatanet({name: 'scale', paths: files, contributor, stateDir}))
  const chain = await datanetChain({stateDir})
  const published = await step('datanet publish', () => publishDatanet({name: 'scale', chain, stateDir}))
  const loaded = await step('load the version, root verified', () => loadDatanetVersion('scale', {stateDir}))
  console.log(
    JSON.stringify({
      records: published.records,
      added: added.added,
      root: published.root,
      byteSize: published.byteSize,
      fee: published.fee,
      loaded: loaded.records.length,
      peakRssMiB: Number(rssMiB()),
    }),
  )
} finally {
  await devnet.stop()
  rmSync(dir, {recursive: true, force: true})
}
