import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {resolveSigner} from '../../chain/context.js'
import {formatOpen} from '../../chain/amounts.js'
import {type ClaimResult, claimRewards} from '../../protocol/rewards.js'

export default class RewardsClaim extends BaseCommand<ClaimResult> {
  static override description =
    `Claim everything the signing account is owed: inference fees (as contributor, model owner or treasury) and staking rewards.

JSON result (schemas/commands/rewards-claim.schema.json): address; claims (one per transaction: source "settlement" or "staking", amount in wei as a
decimal string, transactionHash); total (wei paid out). Fails with E_NOTHING_TO_CLAIM when there is none.`
  static override examples = ['<%= config.bin %> rewards claim --account 3', '<%= config.bin %> rewards claim --json']
  static override flags = {...chainFlags}

  async run(): Promise<ClaimResult> {
    const {flags} = await this.parse(RewardsClaim)
    const ctx = await resolveSigner(chainSelection(flags))
    const result = await claimRewards(ctx)
    for (const c of result.claims) this.log(`Claimed ${formatOpen(c.amount)} from ${c.source} (tx ${c.transactionHash})`)
    this.log(`Total: ${formatOpen(result.total)} to ${result.address}`)
    return result
  }
}
