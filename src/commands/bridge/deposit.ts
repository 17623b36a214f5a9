import {BaseCommand} from '../../cli/base-command.js'
import {addressFlag, chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {resolveSigner} from '../../chain/context.js'
import {type DepositResult, depositToL2} from '../../devnet/bridge/transfers.js'
import {DevnetNotRunningError} from '../../devnet/errors.js'
import {devnetStatePath} from '../../devnet/state.js'

export default class BridgeDeposit extends BaseCommand<DepositResult> {
  static override description =
    `Deposit OPEN from the devnet's L1 to its L2: locked in OpenPortal, credited on the L2 as native OPEN by an OP deposit transaction.

Waits until the L2 has credited it. Re-running after an interruption finishes the pending deposit instead of sending another.
--json: the shape is schemas/commands/bridge-deposit.schema.json.`
  static override examples = [
    '<%= config.bin %> bridge deposit 5',
    '<%= config.bin %> bridge deposit 100 --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --account 1 --json',
  ]
  static override args = {amount: openAmountArg({description: 'OPEN to deposit, e.g. 5 or 0.25.', required: true})}
  static override flags = {
    to: addressFlag({description: 'L2 recipient (default: the sender).'}),
    ...chainFlags,
  }

  async run(): Promise<DepositResult> {
    const {args, flags} = await this.parse(BridgeDeposit)
    const amount = args.amount
    const ctx = await resolveSigner(chainSelection(flags))
    if (!ctx.devnet) throw new DevnetNotRunningError(devnetStatePath())
    const result = await depositToL2(ctx.devnet, ctx.account, amount, flags.to)
    this.log(`${result.resumed ? 'resumed and completed' : 'deposited'} ${formatOpen(amount)} → ${result.to} on L2`)
    this.log(`L1 tx ${result.l1TxHash}\nL2 tx ${result.l2TxHash}`)
    this.log(`L2 balance ${formatOpen(BigInt(result.l2BalanceBefore))} → ${formatOpen(BigInt(result.l2BalanceAfter))}`)
    return result
  }
}
