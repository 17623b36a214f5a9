/**
 * A real anvil with every protocol contract, a devnet state file pointing at it (so commands and
 * resolveChain/resolveSigner find it), a datanet version published on-chain, and tiny model
 * artifacts trained on it with the real trainer and the built-in encoder.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'

import '../helpers/env.js'
import {tempDir} from '../helpers/env.js'
import {type Protocol, startProtocol, writeProtocolDevnetState} from '../helpers/contracts.js'
import DatanetAdd from '../../src/commands/datanet/add.js'
import DatanetCreate from '../../src/commands/datanet/create.js'
import DatanetPublish from '../../src/commands/datanet/publish.js'
import {type DevnetState, writeDevnetState} from '../../src/devnet/state.js'
import {DEFAULT_MODEL_CONFIG, type ModelConfig} from '../../src/model/config.js'
import {type TrainSource, loadDatanetSource} from '../../src/model/datanet-source.js'
import {loadBuiltinEncoder} from '../../src/model/encoders/builtin.js'
import type {Encoder} from '../../src/model/encoders/types.js'
import {trainModel} from '../../src/model/train.js'
import {type Run, runCommand as run} from '../helpers/run-command.js'

export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..')

const TOPICS: Record<string, string[][]> = {
  billing: [
    ['my card', 'the invoice', 'a refund', 'the subscription fee'],
    ['was charged twice', 'shows a wrong amount', 'never arrived', 'is too high'],
  ],
  shipping: [
    ['the parcel', 'my order', 'the courier', 'the package'],
    ['is late', 'went to the wrong address', 'arrived damaged', 'is lost in transit'],
  ],
  login: [
    ['my password', 'the login page', 'two-factor code', 'my account'],
    ['does not work', 'is locked', 'keeps timing out', 'was reset without asking'],
  ],
}

export type Chain = {
  p: Protocol
  dir: string
  stateDir: string
  config: Config
  datanetId: bigint
  source: TrainSource
  /** Dev account indices of the three contributors. */
  contributors: number[]
  cleanup(): Promise<void>
}

/** Records from dev accounts 3, 4, 5, published as datanet version 1 (real Merkle root). */
export async function startChain(perTopic = 12): Promise<Chain> {
  const p = await startProtocol()
  const tmp = tempDir('ol-publish-')
  const stateDir = join(tmp.dir, '.openledger')
  writeProtocolDevnetState(p, stateDir)
  const contributors = [3, 4, 5]
  let jsonl = ''
  for (const [label, [subjects, verbs]] of Object.entries(TOPICS)) {
    for (let i = 0; i < perTopic; i++) {
      const text = `${subjects[i % 4]} ${verbs[(i * 3 + 1) % 4]} (ticket ${label} ${i})`
      jsonl += JSON.stringify({text, label, contributor: p.accounts[contributors[i % 3]].address}) + '\n'
    }
  }
  const config = await Config.load({root: ROOT})
  const saved = process.env.OPENLEDGER_STATE_DIR
  process.env.OPENLEDGER_STATE_DIR = stateDir
  try {
    writeFileSync(join(tmp.dir, 'tickets.jsonl'), jsonl)
    for (const [cmd, argv] of [
      [DatanetCreate, ['tickets', '--summary', 'Support tickets']],
      [DatanetAdd, ['tickets', join(tmp.dir, 'tickets.jsonl')]],
      [DatanetPublish, ['tickets']],
    ] as const) {
      const r = await run(config, cmd, [...argv, '--json'])
      if (r.exitCode !== 0) throw new Error(`datanet ${argv[0]}: ${r.stdout}${r.stderr}`)
    }
  } finally {
    if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
    else process.env.OPENLEDGER_STATE_DIR = saved
  }
  const source = await loadDatanetSource({name: 'tickets', stateDir})
  const datanetId = BigInt(source.datanetId!)
  return {
    p,
    dir: tmp.dir,
    stateDir,
    config,
    datanetId,
    source,
    contributors,
    cleanup: async () => {
      await p.stop()
      tmp.cleanup()
    },
  }
}

let encoder: Encoder | undefined
export async function sharedEncoder(): Promise<Encoder> {
  encoder ??= await loadBuiltinEncoder('cpu')
  return encoder
}

export async function trainArtifact(out: string, source: TrainSource, seed = 42): Promise<string> {
  const config: ModelConfig = {...DEFAULT_MODEL_CONFIG, num_train_epochs: 4, learning_rate: 0.01, val_size: 0.2, device: 'cpu', seed}
  await trainModel({source, config, out, encoder: await sharedEncoder()})
  return out
}

export {type Run, run}
