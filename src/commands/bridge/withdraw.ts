import {BaseCommand} from '../../cli/base-command.js'
import {bridgeFlags, resolveBridge} from '../../cli/bridge.js'
import {addressFlag, openAmountArg} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {type WithdrawResult, withdrawToL1} from '../../devnet/bridge/withdraw.js'

export default class BridgeWithdraw extends BaseCommand<WithdrawResult> {
  static override description =
    `Withdraw native OPEN from the L2 to L1 in the OP Stack's three steps: initiate (L2ToL1MessagePasser), prove against a proposed output root, finalize after the finalization period.

On the devnet the period is seconds and the command waits through it; when it is longer (7 days on a public network) the command stops once proven and says when to run it again. Every transaction is journalled before it is sent: re-running the same command continues the pending withdrawal and never sends anything twice. What it reports finalized is checked on L1: the portal's event for this withdrawal and an OPEN transfer of exactly the amount to the recipient.
--json: the shape is schemas/commands/bridge-withdraw.schema.json.`
  static override examples = [
    '<%= config.bin %> bridge withdraw 2',
    '<%= config.bin %> bridge withdraw 1.5 --account 1 --json',
    '<%= config.bin %> bridge status <l2-tx-hash>',
  ]
  static override args = {amount: openAmountArg({description: 'OPEN to withdraw, e.g. 2 or 0.5.', required: true})}
  static override flags = {
    to: addressFlag({description: 'L1 recipient (default: the sender).'}),
    ...bridgeFlags,
  }

  async run(): Promise<WithdrawResult> {
    const {args, flags} = await this.parse(BridgeWithdraw)
    const {ctx, endpoints} = await resolveBridge(flags)
    const result = await withdrawToL1(endpoints, ctx.account, args.amount, flags.to)
    this.log(`L2 tx ${result.l2TxHash} (withdrawal ${result.withdrawalHash})`)
    if (result.proveTxHash) this.log(`proven: L1 tx ${result.proveTxHash}`)
    if (result.stage === 'finalized') {
      this.log(`finalized: L1 tx ${result.l1TxHash}`)
      this.log(`withdrew ${formatOpen(args.amount)} → ${result.to} on L1`)
      this.log(`L1 balance ${formatOpen(BigInt(result.l1BalanceBefore))} → ${formatOpen(BigInt(result.l1BalanceAfter))}`)
    } else if (result.stage === 'waiting-to-finalize') {
      this.log(`waiting-to-finalize: finalizable at ${result.finalizableAt}; run the same command again then to finish it`)
    } else {
      this.log('waiting-to-prove: no output root covers that L2 block yet; run the same command again later to prove and finalize it')
    }
    return result
  }
}
