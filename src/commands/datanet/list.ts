import {BaseCommand} from '../../cli/base-command.js'
import {type DatanetSummary, listDatanets} from '../../datanet/local.js'

export default class DatanetList extends BaseCommand<DatanetSummary[]> {
  static override description = `List the datanets of this folder.
--json: the shape is schemas/commands/datanet-list.schema.json.`
  static override examples = ['<%= config.bin %> datanet list', '<%= config.bin %> datanet list --json']

  async run(): Promise<DatanetSummary[]> {
    await this.parse(DatanetList)
    const list = await listDatanets()
    if (list.length === 0) this.log('No datanets yet: openledger datanet create <name>')
    for (const d of list) {
      const latest = d.latest ? `v${d.latest.version} ${d.latest.records} records ${d.latest.root}` : 'unpublished'
      this.log(
        `${d.name.padEnd(24)} ${d.modality.padEnd(6)} ${latest}${d.staged ? `, ${d.staged} staged` : ''}${d.datanetId ? ` (on-chain #${d.datanetId})` : ''}`,
      )
    }
    return list
  }
}
