import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type SnapshotResult, snapshotDevnet} from '../../devnet/control.js'

export default class DevnetSnapshot extends BaseCommand<SnapshotResult> {
  static override description = `Save both chains' state under a name; \`devnet restore <name>\` returns both to exactly this point.
--json: the shape is schemas/commands/devnet-snapshot.schema.json.`
  static override examples = ['<%= config.bin %> devnet snapshot before-publish']
  static override args = {name: Args.string({description: 'Snapshot name (letters, digits, . _ -).', required: true})}

  async run(): Promise<SnapshotResult> {
    const {args} = await this.parse(DevnetSnapshot)
    const result = await snapshotDevnet(args.name)
    this.log(`snapshot "${result.name}" at L1 block ${result.l1BlockNumber}, L2 block ${result.l2BlockNumber}`)
    return result
  }
}
