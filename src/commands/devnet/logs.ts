import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {devnetLogFiles, tailFile} from '../../devnet/control.js'

type LogsResult = {file: string; lines: string[]}

export default class DevnetLogs extends BaseCommand<LogsResult> {
  static override description = `Print the end of a devnet log: the supervisor's (relayer, errors) or an anvil's.
--json: the shape is schemas/commands/devnet-logs.schema.json.`
  static override examples = ['<%= config.bin %> devnet logs', '<%= config.bin %> devnet logs --chain l2 -n 100']
  static override flags = {
    chain: Flags.string({description: 'Which log.', options: ['supervisor', 'l1', 'l2'], default: 'supervisor'}),
    lines: Flags.integer({char: 'n', description: 'How many lines from the end.', default: 50, min: 1}),
  }

  async run(): Promise<LogsResult> {
    const {flags} = await this.parse(DevnetLogs)
    const file = devnetLogFiles()[flags.chain as 'supervisor' | 'l1' | 'l2']
    const text = tailFile(file, flags.lines)
    if (text) this.log(text)
    return {file, lines: text ? text.split('\n') : []}
  }
}
