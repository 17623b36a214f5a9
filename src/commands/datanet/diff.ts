import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type DiffResult, diffVersions} from '../../datanet/index.js'

export default class DatanetDiff extends BaseCommand<DiffResult> {
  static override description =
    `Records added and removed between two versions (numbers, latest or draft); a record is its [recordHash, contributor] leaf.
--json: the shape is schemas/commands/datanet-diff.schema.json.`
  static override examples = [
    '<%= config.bin %> datanet diff support-tickets 1 2',
    '<%= config.bin %> datanet diff support-tickets latest draft --json',
  ]
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    v1: Args.string({description: 'From version', required: true}),
    v2: Args.string({description: 'To version', required: true}),
  }

  async run(): Promise<DiffResult> {
    const {args} = await this.parse(DatanetDiff)
    const d = await diffVersions({name: args.name, from: args.v1, to: args.v2})
    this.log(
      `${d.name}: v${d.from.version} (${d.from.records}) → v${d.to.version} (${d.to.records}): +${d.added.length} −${d.removed.length}, ${d.unchanged} unchanged`,
    )
    for (const r of d.added) this.log(`+ ${r.recordHash} ${r.contributor}`)
    for (const r of d.removed) this.log(`- ${r.recordHash} ${r.contributor}`)
    return d
  }
}
