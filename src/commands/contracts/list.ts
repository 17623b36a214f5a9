import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {resolveChain} from '../../chain/context.js'
import {type ContractListEntry, listContracts} from '../../contracts/registry.js'

export type ContractsListResult = ContractListEntry[]

export default class ContractsList extends BaseCommand<ContractsListResult> {
  static override description = 'List the protocol contracts, with their chain and address on the resolved network.'
  static override examples = ['<%= config.bin %> contracts list', '<%= config.bin %> contracts list --json']
  static override flags = {...chainFlags}

  async run(): Promise<ContractsListResult> {
    const {flags} = await this.parse(ContractsList)
    // The ABIs are known without a chain; addresses need one. List names even with no devnet running.
    const ctx = await resolveChain(chainSelection(flags)).catch(() => undefined)
    const entries = listContracts(ctx?.devnet?.deployments, ctx?.contracts)
    for (const e of entries) this.log(`${e.name.padEnd(22)} ${(e.chain ?? '').padEnd(3)} ${e.address ?? '(not deployed)'}`)
    return entries
  }
}
