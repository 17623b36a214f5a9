import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type SnapshotResult, restoreDevnet} from '../../devnet/control.js'

export default class DevnetRestore extends BaseCommand<SnapshotResult> {
  static override description = `Return both chains to a named snapshot. The snapshot stays usable; those taken after it are dropped.
--json: the shape is schemas/commands/devnet-restore.schema.json.`
  static override examples = ['<%= config.bin %> devnet restore before-publish']
  static override args = {name: Args.string({description: 'Snapshot name given to `devnet snapshot`.', required: true})}

  async run(): Promise<SnapshotResult> {
    const {args} = await this.parse(DevnetRestore)
    const result = await restoreDevnet(args.name)
    this.log(`restored "${result.name}" (L1 block ${result.l1BlockNumber}, L2 block ${result.l2BlockNumber})`)
    return result
  }
}
