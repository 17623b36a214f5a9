import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {notOnChain, withHints} from '../../cli/hints.js'
import {type ContributeResult, contributeToDatanet, datanetChain} from '../../datanet/index.js'

export default class DatanetContribute extends BaseCommand<ContributeResult> {
  static override description =
    `Submit records to a public datanet (on-chain: DatanetRegistry.submitContribution with their Merkle root). The signer is the contributor of every record; the owner or a curator approves or rejects with \`datanet review\`.
--json: the shape is schemas/commands/datanet-contribute.schema.json.`
  static override examples = ['<%= config.bin %> datanet contribute support-tickets my-tickets.jsonl --account 1']
  static override strict = false
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    path: Args.string({description: 'Files or folders', required: true}),
  }
  static override flags = {
    'text-field': Flags.string({description: 'The field (or CSV column) holding the text; stored as "text".', default: 'text'}),
    ...chainFlags,
  }

  async run(): Promise<ContributeResult> {
    const {args, argv, flags} = await this.parse(DatanetContribute)
    const chain = await datanetChain(chainSelection(flags))
    const r = await withHints(
      contributeToDatanet({name: args.name, paths: (argv as string[]).slice(1), chain, textField: flags['text-field']}),
      notOnChain(args.name),
    )
    this.log(
      `Submitted contribution ${r.contributionId} to ${r.name}: ${r.records} records (${r.duplicates} already in it), root ${r.contentRoot}, tx ${r.txHash}.`,
    )
    return r
  }
}
