import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {localAddresses} from '../../chain/deployments.js'
import {type ContractListEntry, listContracts} from '../../contracts/registry.js'

export type ContractsListResult = ContractListEntry[]

export default class ContractsList extends BaseCommand<ContractsListResult> {
  static override description =
    'List the protocol contracts, with their chain and address on the resolved network. --json: the shape is schemas/commands/contracts-list.schema.json.'
  static override examples = ['<%= config.bin %> contracts list', '<%= config.bin %> contracts list --json']
  static override flags = {...chainFlags}

  async run(): Promise<ContractsListResult> {
    const {flags} = await this.parse(ContractsList)
    // The ABIs are known without a chain, and the addresses are in local state: only an --rpc-url
    // (whose chain id the node must tell) needs a client. List names even with no devnet running.
    const sel = chainSelection(flags)
    const ctx =
      localAddresses(sel) ??
      (sel.rpcUrl ? await import('../../chain/context.js').then((m) => m.resolveChain(sel)).catch(() => undefined) : undefined)
    const entries = listContracts(ctx?.devnet?.deployments, ctx?.contracts)
    for (const e of entries) this.log(`${e.name.padEnd(22)} ${(e.chain ?? '').padEnd(3)} ${e.address ?? '(not deployed)'}`)
    return entries
  }
}
