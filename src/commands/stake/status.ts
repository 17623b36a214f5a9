import {BaseCommand} from '../../cli/base-command.js'
import {addressFlag, chainFlags, chainSelection} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {type StakeStatus, stakeStatus} from '../../protocol/stake.js'
import {resolveSubject} from '../../protocol/subject.js'

export default class StakeStatusCommand extends BaseCommand<StakeStatus> {
  static override description = `Show an address's stake, role, pending withdrawal and staking rewards.

JSON result (schemas/commands/stake-status.schema.json): address; staked (active stake, wei as a decimal string); role ("validator", "agent", or null
when nothing is staked); pendingWithdrawal (wei in cooldown); unlockTime (unix seconds, null when nothing
is pending) and unlocksAt (the same as ISO 8601); withdrawable (true once the cooldown has passed);
rewards (staking rewards claimable now, wei); cooldownSeconds (the contract's cooldown).`
  static override examples = [
    '<%= config.bin %> stake status --account 1',
    '<%= config.bin %> stake status --address 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json',
  ]
  static override flags = {
    ...chainFlags,
    address: addressFlag({description: 'Address to show (default: the signing account).'}),
  }

  async run(): Promise<StakeStatus> {
    const {flags} = await this.parse(StakeStatusCommand)
    const subject = await resolveSubject(chainSelection(flags), flags.address)
    const status = await stakeStatus(subject.ctx, {address: subject.address})
    this.log(`${status.address}`)
    this.log(`  staked:     ${formatOpen(status.staked)}${status.role ? ` (${status.role})` : ''}`)
    if (status.pendingWithdrawal > 0n) {
      this.log(
        `  cooldown:   ${formatOpen(status.pendingWithdrawal)}, ${status.withdrawable ? 'withdrawable now' : `unlocks at ${status.unlocksAt}`}`,
      )
    }
    this.log(`  rewards:    ${formatOpen(status.rewards)}`)
    return status
  }
}
