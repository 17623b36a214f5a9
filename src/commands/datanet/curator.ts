import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {addressArg, chainFlags, chainSelection} from '../../cli/flags.js'
import {notOnChain, withHints} from '../../cli/hints.js'
import {type CuratorResult, datanetChain, setDatanetCurator} from '../../datanet/index.js'

export default class DatanetCurator extends BaseCommand<CuratorResult> {
  static override description =
    `Add a curator to a datanet (or remove one with --remove): curators review contributions and publish versions. Only the datanet's owner may.
--json: the shape is schemas/commands/datanet-curator.schema.json.`
  static override examples = [
    '<%= config.bin %> datanet curator support-tickets 0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    '<%= config.bin %> datanet curator support-tickets 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --remove --json',
  ]
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    address: addressArg({description: 'The curator’s address', required: true}),
  }
  static override flags = {
    remove: Flags.boolean({description: 'Remove the curator instead of adding it.'}),
    ...chainFlags,
  }

  async run(): Promise<CuratorResult> {
    const {args, flags} = await this.parse(DatanetCurator)
    const chain = await datanetChain(chainSelection(flags))
    const r = await withHints(
      setDatanetCurator({name: args.name, curator: args.address, enabled: !flags.remove, chain}),
      notOnChain(args.name),
    )
    this.log(`${r.enabled ? 'Added' : 'Removed'} curator ${r.curator} of ${r.name} (tx ${r.txHash})`)
    return r
  }
}
