import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {addressFlag} from '../cli/flags.js'
import {NETWORK_NAMES} from '../chain/network-names.js'
import {type DoctorReport, runDoctor} from '../doctor/checks.js'
import type {BridgeTarget} from '../doctor/network.js'
import {DevnetNotRunningError} from '../devnet/errors.js'
import {devnetStatePath, readRunningDevnet} from '../devnet/state.js'
import {ExitCode} from '../errors.js'
import {dim, green, red} from '../ui/color.js'

export default class Doctor extends BaseCommand<DoctorReport> {
  static override description =
    `Check this machine: Node, the anvil binary, ONNX Runtime's backends (cpu, webgpu, cuda), the GPU, disk space and this folder's devnet.

With --network, also ask that network's bridge live: the OptimismPortal's version, its output oracle and the gas paying token its SystemConfig names (and, on the devnet, that the L2's L1Block agrees).
Exits 1 when a required check fails. --json: the shape is schemas/commands/doctor.schema.json.`
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --network testnet',
    '<%= config.bin %> doctor --network mainnet --portal 0x… --l1-rpc-url https://…',
  ]
  static override flags = {
    network: Flags.option({description: 'Also check this network’s bridge, live.', options: NETWORK_NAMES})(),
    'l1-rpc-url': Flags.string({
      description: 'JSON-RPC endpoint of the L1 (default: the network preset’s public one).',
      env: 'OPENLEDGER_L1_RPC_URL',
    }),
    portal: addressFlag({description: 'OptimismPortal address on the L1 (default: the network preset’s).', env: 'OPENLEDGER_PORTAL'}),
  }

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const report = await runDoctor({...(flags.network ? {bridge: await this.bridgeTarget(flags)} : {})})
    for (const c of report.checks) {
      const mark = c.ok ? green('ok  ', process.stdout) : red('FAIL', process.stdout)
      this.log(`${mark} ${c.name.padEnd(18)} ${c.detail}${c.hint ? dim(`  (${c.hint})`, process.stdout) : ''}`)
    }
    if (!report.ok) process.exitCode = ExitCode.failure
    return report
  }

  private async bridgeTarget(flags: {
    network?: (typeof NETWORK_NAMES)[number]
    'l1-rpc-url'?: string
    portal?: `0x${string}`
  }): Promise<BridgeTarget> {
    if (flags.network === 'devnet') {
      const state = readRunningDevnet()
      if (!state) throw new DevnetNotRunningError(devnetStatePath())
      return {
        network: 'devnet',
        l1RpcUrl: flags['l1-rpc-url'] ?? state.l1.rpcUrl,
        portal: flags.portal ?? state.contracts.OptimismPortal,
        l2RpcUrl: state.l2.rpcUrl,
      }
    }
    const {l1Side} = await import('../cli/bridge.js')
    const network = flags.network!
    return {network, ...l1Side({network}, flags)}
  }
}
