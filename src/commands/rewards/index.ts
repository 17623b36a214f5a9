import {BaseCommand} from '../../cli/base-command.js'
import {addressFlag, chainFlags, chainSelection} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {type ClaimedTotals, type RewardBalances, claimedTotals, rewardBalances} from '../../protocol/rewards.js'
import {resolveSubject} from '../../protocol/subject.js'
import {type ContributorTrail, contributorTrail} from '../../publish/trail.js'

export default class Rewards extends BaseCommand<RewardBalances & {trail: ContributorTrail}> {
  static override description =
    `Show what an address can claim (as data contributor, model owner, platform treasury and staker) and what it has claimed so far.

JSON result (schemas/commands/rewards.schema.json; every amount in wei, as a decimal string): address; contributor (inference fees for its
data); modelOwner (fees for its models); platform (the platform share, for the treasury); staker (staking
rewards); total; trail, the per-record trail as contributor: records [{recordHash, datanet, acceptedIn
{version}, inferences [{receiptId, txHash, model, score, earned}], earned}], unmatched (credits whose receipt
is not stored here) and earned (every credit ever, wei). \`rewards claim\` pays them out.`
  static override examples = [
    '<%= config.bin %> rewards --account 3',
    '<%= config.bin %> rewards --address 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --json',
  ]
  static override flags = {
    ...chainFlags,
    address: addressFlag({description: 'Address to show (default: the signing account).'}),
  }

  async run(): Promise<RewardBalances & {trail: ContributorTrail}> {
    const {flags} = await this.parse(Rewards)
    const subject = await resolveSubject(chainSelection(flags), flags.address)
    const [balances, trail, claimed] = await Promise.all([
      rewardBalances(subject.ctx, {address: subject.address}),
      contributorTrail(subject.ctx, {address: subject.address}),
      this.jsonEnabled() ? undefined : claimedTotals(subject.ctx, {address: subject.address}),
    ])
    if (claimed) this.printHuman(balances, claimed, trail)
    return {...balances, trail}
  }

  /** Claimable now, by role; what was already claimed; then the records that earned it. */
  private printHuman(b: RewardBalances, claimed: ClaimedTotals, trail: ContributorTrail): void {
    const rows: Array<[string, bigint]> = [
      ['as contributor', b.contributor],
      ['as model owner', b.modelOwner],
      ...(b.platform > 0n ? [['as platform', b.platform] as [string, bigint]] : []),
      ['as staker', b.staker],
      ['total', b.total],
    ]
    this.log(b.address)
    this.log(`  claimable now${b.total > 0n ? ' (`openledger rewards claim` pays it out)' : ''}:`)
    for (const [name, wei] of rows) this.log(`    ${name.padEnd(15)} ${formatOpen(wei)}`)
    this.log(
      `  claimed so far:   ${formatOpen(claimed.total)} (fees ${formatOpen(claimed.settlement)}, staking ${formatOpen(claimed.staking)})`,
    )
    for (const r of trail.records) {
      this.log(
        `  record ${r.recordHash}${r.datanet ? ` (${r.datanet}${r.acceptedIn ? ` v${r.acceptedIn.version}` : ''})` : ''}: ${r.inferences.length} paid inference${r.inferences.length === 1 ? '' : 's'}, earned ${formatOpen(BigInt(r.earned))}`,
      )
    }
  }
}
