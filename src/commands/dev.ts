import {Flags} from '@oclif/core'
import {resolve} from 'node:path'

import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import type {DevEvent, DevSummary} from '../dev/pipeline.js'
import {dim, green} from '../ui/color.js'

export default class Dev extends BaseCommand<DevSummary> {
  static override description =
    `Run the project in openledger.config.json: validate the config, start the devnet (or reuse this folder's), publish the datanets whose records changed, train the models whose datanet root or config changed, publish them, stake for the agent. What did not change is skipped, and said so.
Without --once it then serves the models and watches the project's folders, running again what changed in the config or the data files (any save counts, editors' rename-over saves included; a live view on a terminal, log lines otherwise). Ctrl-C stops it: the devnet is stopped when dev started it, and left running (and said so) when it was already up.
--once --json: the shape is schemas/commands/dev.schema.json.`
  static override examples = ['<%= config.bin %> dev', '<%= config.bin %> dev --once --json']
  static override flags = {
    once: Flags.boolean({description: 'Run the pipeline once, print the summary and exit (the devnet stays up).'}),
    config: Flags.string({description: 'Config file (default: ./openledger.config.json).'}),
    account: Flags.integer({
      description: 'Dev account that publishes datanets and models (devnet only).',
      min: 0,
      env: 'OPENLEDGER_ACCOUNT',
    }),
    port: Flags.integer({description: 'Inference server port (default: serve.port in the config, else 8787).', min: 0, max: 65_535}),
    'l1-port': Flags.integer({
      description: 'L1 RPC port when the devnet is started (0 picks a free one).',
      default: 8545,
      min: 0,
      max: 65_535,
      env: 'OPENLEDGER_L1_PORT',
    }),
    'l2-port': Flags.integer({
      description: 'L2 RPC port when the devnet is started (0 picks a free one).',
      default: 9545,
      min: 0,
      max: 65_535,
      env: 'OPENLEDGER_L2_PORT',
    }),
  }

  async run(): Promise<DevSummary> {
    const {flags} = await this.parse(Dev)
    if (!flags.once && this.jsonEnabled()) throw new UsageError('--json needs --once (without it, dev keeps running and watching)')
    const {loadProjectConfig} = await import('../config/index.js')
    const loaded = loadProjectConfig(process.cwd(), flags.config)
    const {runDevOnce} = await import('../dev/pipeline.js')
    const options = {loaded, configFile: flags.config, account: flags.account, l1Port: flags['l1-port'], l2Port: flags['l2-port']}

    if (!flags.once) {
      const {runDevWatch} = await import('../dev/watch.js')
      const view =
        process.stdout.isTTY && process.stderr.isTTY && process.stdin.isTTY ? (await import('../ui/dev-view.js')).inkDevView() : undefined
      const r = await runDevWatch({...options, port: flags.port, view})
      // A pass cut short by Ctrl-C (a training run, a transaction) would keep the process alive: end it.
      if (r.abandoned) process.exit(0)
      if (!r.summary) throw new Error('dev stopped before its first pass')
      return r.summary
    }
    const summary = await runDevOnce({...options, onEvent: (e) => this.note(eventLine(e))})
    this.printSummary(summary)
    // `artifact` is an absolute path in every command's JSON (as in `train`); people read it relative.
    return {...summary, models: summary.models.map((m) => ({...m, artifact: resolve(m.artifact)}))}
  }

  private printSummary(s: DevSummary): void {
    if (s.devnet)
      this.log(`devnet   L2 ${s.devnet.l2.rpcUrl} (chain ${s.devnet.l2.chainId}), ${s.devnet.started ? 'started' : 'already running'}`)
    for (const d of s.datanets)
      this.log(
        `datanet  ${d.name}  v${d.version}  ${d.records} records  ${d.changed ? green(`published (${d.added} new)`, process.stdout) : 'unchanged'}`,
      )
    for (const m of s.models) {
      const what = [
        m.trained ? green('trained', process.stdout) : 'not retrained',
        m.cid ? (m.published ? green(`published ${m.cid}`, process.stdout) : `already published ${m.cid}`) : undefined,
      ]
      this.log(`model    ${m.name}  ${what.filter(Boolean).join(', ')}  ${dim(m.artifact, process.stdout)}`)
    }
    if (s.agent) this.log(`agent    ${s.agent.address}  ${s.agent.deposited === '0' ? 'stake unchanged' : 'staked more'}`)
    this.log(
      s.changed ? `Done in ${s.seconds} s.` : `Nothing changed: no datanet published, no model trained or published (${s.seconds} s).`,
    )
  }
}

export function eventLine(e: DevEvent): string {
  return `${e.scope.padEnd(8)} ${e.name ? `${e.name}: ` : ''}${e.message}`
}
