import {BaseCommand} from '../../cli/base-command.js'
import {ExitCode} from '../../errors.js'
import {type DevnetStatus, devnetStatus} from '../../devnet/control.js'

export default class DevnetStatusCommand extends BaseCommand<DevnetStatus> {
  static override description = `Show whether this folder's devnet runs, with both chains' RPC URLs and block numbers.

Exits 0 when running and 3 when not (like \`systemctl status\`), so scripts can test it.
--json: the shape is schemas/commands/devnet-status.schema.json.`
  static override examples = ['<%= config.bin %> devnet status', '<%= config.bin %> devnet status --json']

  async run(): Promise<DevnetStatus> {
    await this.parse(DevnetStatusCommand)
    const status = await devnetStatus()
    if (!status.running) {
      process.exitCode = ExitCode.state
      this.log(`not running${status.stale ? ' (a stale state file from a devnet that died is left in place)' : ''}`)
      return status
    }
    this.log(`running (supervisor pid ${status.supervisorPid}, up ${status.uptimeSeconds} s)`)
    this.log(`L1  ${status.l1.rpcUrl}  chain ${status.l1.chainId}  block ${status.l1.blockNumber}`)
    this.log(`L2  ${status.l2.rpcUrl}  chain ${status.l2.chainId}  block ${status.l2.blockNumber}`)
    const r = status.genesis.resumed
    if (r) this.log(`resumed from L1 block ${r.l1BlockNumber}, L2 block ${r.l2BlockNumber} after a crash`)
    if (status.snapshots.length) this.log(`snapshots: ${status.snapshots.join(', ')}`)
    return status
  }
}
