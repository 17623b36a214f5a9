import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {resolveSigner} from '../../chain/context.js'
import {UsageError} from '../../errors.js'
import {formatOpen} from '../../chain/amounts.js'
import {type WithdrawalCompleteResult, type WithdrawalRequestResult, completeWithdrawal, requestWithdrawal} from '../../protocol/stake.js'

export type StakeWithdrawResult = ({step: 'requested'} & WithdrawalRequestResult) | ({step: 'completed'} & WithdrawalCompleteResult)

export default class StakeWithdraw extends BaseCommand<StakeWithdrawResult> {
  static override description = `Withdraw stake in two steps: request (starts the cooldown), then --complete once it has passed.

Stake in cooldown earns no rewards and can still be slashed; a new request adds to what is pending and
restarts the cooldown. JSON result (schemas/commands/stake-withdraw.schema.json), request: step "requested"; transactionHash; address; amount (wei
requested now, decimal string); pendingWithdrawal (all wei in cooldown); unlockTime (unix seconds) and
unlocksAt (ISO 8601). With --complete: step "completed"; transactionHash; address; amount (wei paid out).`
  static override examples = [
    '<%= config.bin %> stake withdraw 4 --account 1',
    '<%= config.bin %> stake withdraw --account 1            # the whole active stake',
    '<%= config.bin %> stake withdraw --complete --account 1 --json',
  ]
  static override args = {amount: openAmountArg({description: 'OPEN to withdraw (default: the whole active stake).'})}
  static override flags = {
    ...chainFlags,
    complete: Flags.boolean({description: 'Pay out the pending withdrawal (after the cooldown).'}),
  }

  async run(): Promise<StakeWithdrawResult> {
    const {args, flags} = await this.parse(StakeWithdraw)
    if (flags.complete && args.amount !== undefined) {
      throw new UsageError('--complete pays out the whole pending withdrawal: leave out the amount')
    }
    const amount = args.amount
    const ctx = await resolveSigner(chainSelection(flags))
    if (flags.complete) {
      const done = await completeWithdrawal(ctx)
      this.log(`Withdrew ${formatOpen(done.amount)} to ${done.address}`)
      this.log(`tx ${done.transactionHash}`)
      return {step: 'completed', ...done}
    }
    const requested = await requestWithdrawal(ctx, {amount})
    this.log(`Requested ${formatOpen(requested.amount)}; ${formatOpen(requested.pendingWithdrawal)} unlocks at ${requested.unlocksAt}`)
    this.log(`Then: ${this.config.bin} stake withdraw --complete`)
    return {step: 'requested', ...requested}
  }
}
