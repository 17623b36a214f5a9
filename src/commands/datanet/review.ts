import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection, contributionIdsFlag} from '../../cli/flags.js'
import {notOnChain, withHints} from '../../cli/hints.js'
import {type ReviewResult, datanetChain, reviewContributions} from '../../datanet/index.js'

export default class DatanetReview extends BaseCommand<ReviewResult> {
  static override description =
    `List a datanet's contributions, or approve and reject them on-chain as its owner or a curator. Approved records are staged for the next \`datanet publish\`.
--json: the shape is schemas/commands/datanet-review.schema.json.`
  static override examples = [
    '<%= config.bin %> datanet review support-tickets',
    '<%= config.bin %> datanet review support-tickets --approve 1,2 --reject 3',
  ]
  static override args = {name: Args.string({description: 'Datanet name', required: true})}
  static override flags = {
    approve: contributionIdsFlag({description: 'Contribution ids to approve (comma-separated).'}),
    reject: contributionIdsFlag({description: 'Contribution ids to reject (comma-separated).'}),
    ...chainFlags,
  }

  async run(): Promise<ReviewResult> {
    const {args, flags} = await this.parse(DatanetReview)
    const chain = await datanetChain(chainSelection(flags))
    const r = await withHints(
      reviewContributions({name: args.name, approve: flags.approve, reject: flags.reject, chain}),
      notOnChain(args.name),
    )
    for (const x of r.reviewed)
      this.log(
        `${x.approved ? 'Approved' : 'Rejected'} contribution ${x.id}${x.approved ? `: ${x.staged} records staged` : ''} (tx ${x.txHash})`,
      )
    if (r.reviewed.length === 0) {
      if (r.contributions.length === 0) this.log(`${r.name} has no contributions.`)
      for (const c of r.contributions)
        this.log(
          `#${c.id.padEnd(4)} ${c.status.padEnd(9)} ${c.records} records from ${c.contributor}${c.local ? '' : ' (records not in this folder)'}`,
        )
    }
    return r
  }
}
