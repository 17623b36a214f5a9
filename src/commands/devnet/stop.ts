import {BaseCommand} from '../../cli/base-command.js'
import {type StopResult, stopDevnet} from '../../devnet/control.js'

export default class DevnetStop extends BaseCommand<StopResult> {
  static override description = `Stop this folder's devnet (both anvils and the relayer). Exits 3 when none runs.
--json: the shape is schemas/commands/devnet-stop.schema.json.`
  static override examples = ['<%= config.bin %> devnet stop']

  async run(): Promise<StopResult> {
    await this.parse(DevnetStop)
    const result = await stopDevnet()
    this.log(`stopped (supervisor pid ${result.supervisorPid}${result.forced ? ', killed after the stop timeout' : ''})`)
    return result
  }
}
