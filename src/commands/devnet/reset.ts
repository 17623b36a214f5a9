import {BaseCommand} from '../../cli/base-command.js'
import {type SnapshotResult, restoreDevnet} from '../../devnet/control.js'

export default class DevnetReset extends BaseCommand<SnapshotResult> {
  static override description =
    `Return the running devnet to its genesis: contracts freshly deployed, dev accounts funded, nothing else. Named snapshots are dropped.
--json: the shape is schemas/commands/devnet-reset.schema.json.`
  static override examples = ['<%= config.bin %> devnet reset']

  async run(): Promise<SnapshotResult> {
    await this.parse(DevnetReset)
    const result = await restoreDevnet('genesis')
    this.log(`reset to genesis (L1 block ${result.l1BlockNumber}, L2 block ${result.l2BlockNumber})`)
    return result
  }
}
