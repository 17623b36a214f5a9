/**
 * `npm run bench`: every hot path, each printed with the ratio to a baseline measured in the same
 * run. Pick parts with arguments: `npm run bench -- devnet datanet`.
 */
import {runAttributionBench} from './attribution.js'
import {benchCli} from './cli.js'
import {contractsGasBench} from './contracts-gas.js'
import {runDatanetBenchAll} from './datanet.js'
import {devBenchRows, runDevBench} from './dev.js'
import {benchBridge} from './bridge.js'
import {benchDevnet} from './devnet.js'
import {ggufBenchRows} from './gguf.js'
import {runInfluenceBench} from './influence.js'
import {runLmBench} from './lm.js'
import {cacheBenchRows, runModelBench} from './model.js'
import {benchProxy} from './proxy.js'
import {printTable} from './report.js'
import {runServeBench} from './serve.js'
import {runServeLmBench} from './serve-lm.js'
import {runSpansBench} from './spans.js'

const log = (line: string) => process.stdout.write(line + '\n')

const parts: Record<string, () => Promise<unknown>> = {
  cli: async () => printTable('cli: start-up through bin/run.js vs node -e 0 (min and median of 7)', await benchCli()),
  devnet: async () => printTable('devnet: start to ready, bridge round trip', await benchDevnet()),
  proxy: async () => printTable('proxy: the devnet L2 RPC proxy vs the same calls straight to anvil (median of 7)', await benchProxy()),
  bridge: async () => printTable('bridge: deposit, withdrawal to proven, output proposal vs an L1 ERC-20 transfer', await benchBridge()),
  contracts: async () => {
    log('\ncontracts: gas used')
    await contractsGasBench(log)
  },
  datanet: async () => {
    log('\ndatanet: ingest + Merkle root of 100k records vs StandardMerkleTree.of; keccak; add and publish at scale')
    await runDatanetBenchAll({log})
  },
  model: async () => {
    log('\nmodel: encoder throughput, training time, the embedding cache as train uses it')
    const r = await runModelBench({log})
    if (r.cache) printTable('Embedding cache as `train` uses it (built-in encoder, CPU)', cacheBenchRows(r.cache))
  },
  dev: async () => printTable('dev --once per template: first run vs a second with nothing changed', devBenchRows(await runDevBench())),
  serve: async () => {
    log('\nserve: HTTP inference under autocannon load (1 and 100 models) vs a constant handler')
    await runServeBench({log})
  },
  'serve-lm': async () => {
    log('\nserve-lm: /v1/completions tokens/s and latency, base alone vs 1 and 50 adapters; adapter load time')
    await runServeLmBench({log})
  },
  gguf: async () =>
    printTable('gguf: base export and PEFT adapter read (min of 5) vs a plain read + copy of the same file', ggufBenchRows()),
  lm: async () => {
    log('\nlm: LoRA training tokens/s vs PyTorch, generation with vs without the KV cache, webgpu vs cpu')
    await runLmBench({log})
  },
  attribution: async () => {
    log('\nattribution: influence queries, suffix array, span queries')
    await runAttributionBench({}, log)
  },
  influence: async () => {
    log('\ninfluence: head IF over 1M records streamed from the model-state file vs one memory pass over the same bytes')
    await runInfluenceBench({}, log)
  },
  spans: async () => runSpansBench({}, log),
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
for (const name of wanted.length ? wanted : Object.keys(parts)) {
  const part = parts[name]
  if (!part) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(parts).join(', ')}\n`)
    process.exit(2)
  }
  await part()
}
