import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {UsageError} from '../../errors.js'
import type {DevnetSummary} from '../../devnet/summary.js'
import {dim} from '../../ui/color.js'

// Defaults documented in the README; kept here so `--help` needs no devnet module loaded.
const DEFAULT_L1_PORT = 8545
const DEFAULT_L2_PORT = 9545

export default class DevnetStart extends BaseCommand<DevnetSummary | void> {
  static override description =
    `Start the local devnet: an L1 and an OP-style L2 (anvil), OPEN bridged as the L2's gas token, the protocol contracts deployed, dev accounts funded.

Runs in the foreground until Ctrl-C, or with --detach in a background supervisor (stop it with \`devnet stop\`). Writes .openledger/devnet.json, which every other command reads.
--json: the shape is schemas/commands/devnet-start.schema.json. The keys shown are the devnet's well-known dev keys.`
  static override examples = [
    '<%= config.bin %> devnet start',
    '<%= config.bin %> devnet start --detach --json',
    '<%= config.bin %> devnet start --l1-port 8545 --l2-port 9545 --block-time 2',
    '<%= config.bin %> devnet start --fork testnet --l1-rpc-url https://sepolia.example --fork-block 1200000',
  ]
  static override flags = {
    detach: Flags.boolean({char: 'd', description: 'Run in a background supervisor and return once ready.'}),
    'l1-port': Flags.integer({
      description: 'L1 RPC port (0 picks a free one).',
      default: DEFAULT_L1_PORT,
      min: 0,
      max: 65_535,
      env: 'OPENLEDGER_L1_PORT',
    }),
    'l2-port': Flags.integer({
      description: 'L2 RPC port (0 picks a free one).',
      default: DEFAULT_L2_PORT,
      min: 0,
      max: 65_535,
      env: 'OPENLEDGER_L2_PORT',
    }),
    'block-time': Flags.integer({
      description: 'Seconds between blocks (default: a block per transaction).',
      min: 1,
      env: 'OPENLEDGER_BLOCK_TIME',
    }),
    fork: Flags.string({
      description:
        'Fork a live network instead of starting from the genesis: testnet, mainnet or an L2 RPC URL. Both chains are forked at heights that belong together; dev accounts are funded on both.',
    }),
    'fork-block': Flags.integer({
      description: 'The L2 block to fork at (default: the latest). The L1 is forked at the L1 block that L2 block derives from.',
      min: 0,
      dependsOn: ['fork'],
    }),
    'l1-rpc-url': Flags.string({description: 'With --fork: the L1 RPC URL the forked L2 settles on.', dependsOn: ['fork']}),
    fresh: Flags.boolean({
      description:
        "Build the genesis (deployments, funding) again instead of loading the cached one; a crashed devnet's saved state is not resumed.",
    }),
    'finalization-period': Flags.integer({
      description: 'Seconds a bridge withdrawal waits between proof and finalization (default 3; OP Stack chains use 7 days).',
      min: 0,
      env: 'OPENLEDGER_FINALIZATION_PERIOD',
    }),
  }

  async run(): Promise<DevnetSummary | void> {
    const {flags} = await this.parse(DevnetStart)
    const options = {
      l1Port: flags['l1-port'],
      l2Port: flags['l2-port'],
      blockTime: flags['block-time'],
      fresh: flags.fresh,
      fork: flags.fork ? await forkOptions(flags.fork, flags['l1-rpc-url'], flags['fork-block']) : undefined,
      finalizationPeriodSeconds: flags['finalization-period'],
    }
    const {devnetSummary} = await import('../../devnet/summary.js')

    if (flags.detach) {
      const {startDetached} = await import('../../devnet/detach.js')
      const summary = devnetSummary(await startDetached(options))
      this.printHuman(summary, true)
      return summary
    }

    const [{superviseDevnet}, {withDevnetProgress}] = await Promise.all([
      import('../../devnet/supervise.js'),
      import('../../ui/devnet-progress.js'),
    ])
    const started = performance.now()
    const interactive = !this.jsonEnabled()
    let progress: (e: import('../../devnet/supervisor.js').DevnetProgress) => void = () => {}
    let ready!: () => void
    let failed!: (err: unknown) => void
    const readyShown = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)))
    const shown = withDevnetProgress(interactive, async (p) => {
      progress = p
      await readyShown
    })
    const outcome = await superviseDevnet(options, {
      onProgress: (e) => {
        progress(e)
        if (e.stage === 'relayer-error') process.stderr.write(`relayer: ${e.message}\n`)
        if (e.stage === 'save-error') process.stderr.write(`saving the chains for crash recovery: ${e.message}\n`)
        if (e.stage === 'genesis' && e.discarded) process.stderr.write(`not resumed: ${e.discarded}\n`)
      },
      onReady: (state) => {
        ready()
        const summary = devnetSummary(state)
        // The JSON document goes out now, while the devnet keeps running in the foreground.
        if (this.jsonEnabled()) this.logJson(summary)
        else void shown.then(() => this.printHuman(summary, false, Math.round(performance.now() - started)))
      },
    }).catch(async (err) => {
      failed(err)
      await shown.catch(() => {})
      throw err
    })
    await shown.catch(() => {})
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
    this.log(s.fork ? forkedFrom(s.fork) : startedFrom(s))
    const cache = s.genesis.fromCache ? 'cached genesis' : 'genesis built and cached'
    this.log(
      dim(
        detached
          ? `running in the background (pid ${s.supervisorPid}); \`openledger devnet stop\` stops it`
          : `ready in ${ms} ms (${cache}); Ctrl-C stops it`,
      ),
    )
  }
}

/** Says which: the chains a crashed devnet left, resumed, or a fresh genesis. */
function startedFrom(s: DevnetSummary): string {
  const r = s.genesis.resumed
  return r
    ? `resumed from L1 block ${r.l1BlockNumber}, L2 block ${r.l2BlockNumber} (the last devnet did not stop cleanly; \`devnet stop\` then start for a fresh genesis)`
    : 'fresh genesis'
}

function forkedFrom(f: NonNullable<DevnetSummary['fork']>): string {
  return `forked ${f.network} at L2 block ${f.l2.blockNumber} and L1 block ${f.l1.blockNumber}; dev accounts funded on both (balances set, not bridged)`
}

/** --fork, --l1-rpc-url and --fork-block as the devnet's fork options. */
async function forkOptions(fork: string, l1RpcUrl: string | undefined, l2Block: number | undefined) {
  let l2RpcUrl: string
  if (fork === 'testnet' || fork === 'mainnet') {
    const {openledgerMainnet, openledgerTestnet} = await import('../../chain/networks.js')
    l2RpcUrl = (fork === 'mainnet' ? openledgerMainnet : openledgerTestnet).rpcUrls.default.http[0]
  } else if (/^https?:\/\/\S+$/.test(fork)) {
    l2RpcUrl = fork
  } else {
    throw new UsageError(`--fork must be testnet, mainnet or an http(s) RPC URL, not "${fork}"`)
  }
  if (!l1RpcUrl) throw new UsageError('--fork needs --l1-rpc-url: the L1 the forked L2 settles on (its portal and OPEN)')
  return {
    network: fork,
    l2RpcUrl,
    l1RpcUrl,
    l2Block,
    names: {l2RpcUrl: `--fork ${fork}`, l1RpcUrl: '--l1-rpc-url', l2Block: '--fork-block'},
  }
}
