import {Flags} from '@oclif/core'

import {BaseCommand, toOpenledgerError} from '../../cli/base-command.js'
import {startDetached} from '../../devnet/detach.js'
import type {SupervisorMessage} from '../../devnet/detach.js'
import {type DevnetSummary, devnetSummary} from '../../devnet/summary.js'
import {DEFAULT_L1_PORT, DEFAULT_L2_PORT, startDevnet} from '../../devnet/supervisor.js'
import {dim} from '../../ui/color.js'
import {withDevnetProgress} from '../../ui/devnet-progress.js'

export default class DevnetStart extends BaseCommand<DevnetSummary | void> {
  static override description = `Start the local devnet: an L1 and an OP-style L2 (anvil), OPEN bridged as the L2's gas token, the protocol contracts deployed, dev accounts funded.

Runs in the foreground until Ctrl-C, or with --detach in a background supervisor (stop it with \`devnet stop\`). Writes .openledger/devnet.json, which every other command reads.
--json prints {"l1":{"rpcUrl","chainId"},"l2":{"rpcUrl","chainId"},"contracts":{name:address},"accounts":[{"address","privateKey"}],"supervisorPid","genesis":{"key","fromCache"}}. The keys shown are the devnet's well-known dev keys.`
  static override examples = [
    '<%= config.bin %> devnet start',
    '<%= config.bin %> devnet start --detach --json',
    '<%= config.bin %> devnet start --l1-port 8545 --l2-port 9545 --block-time 2',
  ]
  static override flags = {
    detach: Flags.boolean({char: 'd', description: 'Run in a background supervisor and return once ready.'}),
    'l1-port': Flags.integer({description: 'L1 RPC port (0 picks a free one).', default: DEFAULT_L1_PORT, min: 0, max: 65_535, env: 'OPENLEDGER_L1_PORT'}),
    'l2-port': Flags.integer({description: 'L2 RPC port (0 picks a free one).', default: DEFAULT_L2_PORT, min: 0, max: 65_535, env: 'OPENLEDGER_L2_PORT'}),
    'block-time': Flags.integer({description: 'Seconds between blocks (default: a block per transaction).', min: 1, env: 'OPENLEDGER_BLOCK_TIME'}),
    fresh: Flags.boolean({description: 'Build the genesis (deployments, funding) again instead of loading the cached one.'}),
    supervise: Flags.boolean({hidden: true, description: 'Internal: run as the detached supervisor, reporting over IPC.'}),
  }

  async run(): Promise<DevnetSummary | void> {
    const {flags} = await this.parse(DevnetStart)
    const options = {l1Port: flags['l1-port'], l2Port: flags['l2-port'], blockTime: flags['block-time'], fresh: flags.fresh}

    if (flags.detach) {
      const args = ['--l1-port', String(options.l1Port), '--l2-port', String(options.l2Port)]
      if (options.blockTime) args.push('--block-time', String(options.blockTime))
      if (options.fresh) args.push('--fresh')
      const state = await startDetached(args)
      const summary = devnetSummary(state)
      this.printHuman(summary, true)
      return summary
    }

    const started = performance.now()
    let devnet
    try {
      const interactive = !flags.supervise && !this.jsonEnabled()
      devnet = await withDevnetProgress(interactive, (progress) =>
        startDevnet({
          ...options,
          onProgress: (e) => {
            progress(e)
            if (e.stage === 'relayer-error') process.stderr.write(`relayer: ${e.message}\n`)
            else if (flags.supervise && e.stage === 'relayed') process.stderr.write(`relayed ${e.deposits} deposit(s), ${e.withdrawals} withdrawal(s)\n`)
          },
        }),
      )
    } catch (err) {
      if (flags.supervise && process.send) {
        const e = toOpenledgerError(err)
        process.send({type: 'error', error: {...e.toJSON(), exitCode: e.exitCode}} satisfies SupervisorMessage)
      }
      throw err
    }
    const summary = devnetSummary(devnet.state)
    if (flags.supervise && process.send) {
      process.send({type: 'ready', state: devnet.state} satisfies SupervisorMessage)
      process.disconnect?.()
    } else if (this.jsonEnabled()) {
      // The JSON document goes out now, while the devnet keeps running in the foreground.
      this.logJson(summary)
    } else {
      this.printHuman(summary, false, Math.round(performance.now() - started))
    }

    // Stay up until a signal or until a chain dies; then stop everything and report.
    const signal = new Promise<string>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s))
    })
    const outcome = await Promise.race([signal.then((s) => ({reason: 'signal', detail: s})), devnet.done])
    await devnet.stop()
    if (outcome.reason === 'chain-exited') {
      process.stderr.write(`devnet stopped: ${outcome.detail}\n`)
      process.exitCode = 1
    } else {
      this.note(dim('devnet stopped'))
    }
  }

  private printHuman(s: DevnetSummary, detached: boolean, ms?: number): void {
    this.log(`L1  ${s.l1.rpcUrl}  chain ${s.l1.chainId}`)
    this.log(`L2  ${s.l2.rpcUrl}  chain ${s.l2.chainId}  (native OPEN)`)
    this.log('')
    for (const [name, address] of Object.entries(s.contracts)) this.log(`${name.padEnd(22)} ${address}`)
    this.log('')
    this.log('Dev accounts (well-known keys: devnet only)')
    s.accounts.forEach((a, i) => this.log(`(${i}) ${a.address}  ${a.privateKey}`))
    this.log('')
    const cache = s.genesis.fromCache ? 'cached genesis' : 'genesis built and cached'
    this.log(dim(detached ? `running in the background (pid ${s.supervisorPid}); \`openledger devnet stop\` stops it` : `ready in ${ms} ms (${cache}); Ctrl-C stops it`))
  }
}
