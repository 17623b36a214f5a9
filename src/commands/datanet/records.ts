import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type RecordView, datanetRecords} from '../../datanet/index.js'

export default class DatanetRecords extends BaseCommand<RecordView[]> {
  static override description = `List the records of a version (default: the latest; "draft" for the staged state).
--json: the shape is schemas/commands/datanet-records.schema.json. The leaves of the version's Merkle tree are [recordHash, contributor].`
  static override examples = [
    '<%= config.bin %> datanet records support-tickets --json',
    '<%= config.bin %> datanet records support-tickets --version draft',
  ]
  static override args = {name: Args.string({description: 'Datanet name', required: true})}
  static override flags = {version: Flags.string({description: 'Version number, latest or draft.'})}

  async run(): Promise<RecordView[]> {
    const {args, flags} = await this.parse(DatanetRecords)
    const records = await datanetRecords({name: args.name, version: flags.version})
    for (const r of records) {
      const text = typeof r.text === 'string' ? r.text.replace(/\s+/g, ' ') : JSON.stringify(r)
      this.log(`${r.recordHash} ${r.contributor} ${text.length > 60 ? text.slice(0, 59) + '…' : text}`)
    }
    return records
  }
}
