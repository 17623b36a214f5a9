import {BaseCommand} from '../../cli/base-command.js'
import {addressFlag, chainFlags, chainSelection} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {type RewardBalances, rewardBalances} from '../../protocol/rewards.js'
import {resolveSubject} from '../../protocol/subject.js'
import {type ContributorTrail, contributorTrail} from '../../publish/trail.js'

export default class Rewards extends BaseCommand<RewardBalances & {trail: ContributorTrail}> {
  static override description = `Show what an address can claim: as data contributor, model owner, platform treasury and staker.

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
    const balances = await rewardBalances(subject.ctx, {address: subject.address})
    this.log(`${balances.address}`)
    this.log(`  as contributor:  ${formatOpen(balances.contributor)}`)
    this.log(`  as model owner:  ${formatOpen(balances.modelOwner)}`)
    if (balances.platform > 0n) this.log(`  as platform:     ${formatOpen(balances.platform)}`)
    this.log(`  as staker:       ${formatOpen(balances.staker)}`)
    this.log(`  total:           ${formatOpen(balances.total)}`)
    const trail = await contributorTrail(subject.ctx, {address: subject.address})
    for (const r of trail.records) {
      this.log(
        `  record ${r.recordHash}${r.datanet ? ` (${r.datanet}${r.acceptedIn ? ` v${r.acceptedIn.version}` : ''})` : ''}: ${r.inferences.length} paid inference(s), earned ${formatOpen(BigInt(r.earned))}`,
      )
    }
    return {...balances, trail}
  }
}
