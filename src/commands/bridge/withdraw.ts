import {BaseCommand} from '../../cli/base-command.js'
import {addressFlag, chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {resolveSigner} from '../../chain/context.js'
import {type WithdrawResult, withdrawToL1} from '../../devnet/bridge/transfers.js'
import {DevnetNotRunningError} from '../../devnet/errors.js'
import {devnetStatePath} from '../../devnet/state.js'

export default class BridgeWithdraw extends BaseCommand<WithdrawResult> {
  static override description =
    `Withdraw native OPEN from the devnet's L2 to L1: burned by OpenL2Bridge, released from OpenPortal by the relayer.

Waits until the L1 release. (On the devnet the relayer stands in for the OP Stack's proof and challenge window.)
--json: the shape is schemas/commands/bridge-withdraw.schema.json.`
  static override examples = ['<%= config.bin %> bridge withdraw 2', '<%= config.bin %> bridge withdraw 1.5 --account 1 --json']
  static override args = {amount: openAmountArg({description: 'OPEN to withdraw, e.g. 2 or 0.5.', required: true})}
  static override flags = {
    to: addressFlag({description: 'L1 recipient (default: the sender).'}),
    ...chainFlags,
  }

  async run(): Promise<WithdrawResult> {
    const {args, flags} = await this.parse(BridgeWithdraw)
    const amount = args.amount
    const ctx = await resolveSigner(chainSelection(flags))
    if (!ctx.devnet) throw new DevnetNotRunningError(devnetStatePath())
    const result = await withdrawToL1(ctx.devnet, ctx.account, amount, flags.to)
    this.log(`withdrew ${formatOpen(amount)} → ${result.to} on L1`)
    this.log(`L2 tx ${result.l2TxHash}\nL1 tx ${result.l1TxHash}`)
    this.log(`L1 balance ${formatOpen(BigInt(result.l1BalanceBefore))} → ${formatOpen(BigInt(result.l1BalanceAfter))}`)
    return result
  }
}
