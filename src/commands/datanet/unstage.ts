import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type UnstageResult, unstageFile} from '../../datanet/index.js'

export default class DatanetUnstage extends BaseCommand<UnstageResult> {
  static override description =
    `Undo \`datanet add\` of a file: remove from the draft the records that adding it staged (records it shared with earlier adds stay).
The file is found by the path it was added as, or by its content when it still exists. What was published cannot be unstaged.
--json: the shape is schemas/commands/datanet-unstage.schema.json.`
  static override examples = ['<%= config.bin %> datanet unstage support-tickets data/tickets.jsonl']
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    file: Args.string({description: 'The file as it was added ("-" for what stdin added)', required: true}),
  }

  async run(): Promise<UnstageResult> {
    const {args} = await this.parse(DatanetUnstage)
    const r = await unstageFile({name: args.name, file: args.file})
    for (const s of r.sources) this.log(`${s.path}: had staged ${s.added} record${s.added === 1 ? '' : 's'}`)
    this.log(
      `Removed ${r.removed.length} record${r.removed.length === 1 ? '' : 's'} from ${r.name}'s draft; ${r.staged} staged for the next version.`,
    )
    return r
  }
}
