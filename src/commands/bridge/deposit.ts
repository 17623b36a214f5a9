import {BaseCommand} from '../../cli/base-command.js'
import {bridgeFlags, resolveBridge} from '../../cli/bridge.js'
import {addressFlag, openAmountArg} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {type DepositResult, depositToL2} from '../../devnet/bridge/deposit.js'

export default class BridgeDeposit extends BaseCommand<DepositResult> {
  static override description =
    `Deposit OPEN from L1 to the L2: OptimismPortal.depositERC20Transaction locks it on L1 and the L2 mints it as native OPEN.

Approves the portal first when the allowance is short, then waits until the L2 has executed the deposit transaction derived from the portal's TransactionDeposited log. Every transaction is journalled (.openledger/bridge/journal.json) before it is sent: re-running the same command after an interruption finishes that deposit and never pays a second one.
--json: the shape is schemas/commands/bridge-deposit.schema.json.`
  static override examples = [
    '<%= config.bin %> bridge deposit 5',
    '<%= config.bin %> bridge deposit 100 --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --account 1 --json',
    '<%= config.bin %> bridge deposit 5 --network testnet',
  ]
  static override args = {amount: openAmountArg({description: 'OPEN to deposit, e.g. 5 or 0.25.', required: true})}
  static override flags = {
    to: addressFlag({description: 'L2 recipient (default: the sender).'}),
    ...bridgeFlags,
  }

  async run(): Promise<DepositResult> {
    const {args, flags} = await this.parse(BridgeDeposit)
    const {ctx, endpoints} = await resolveBridge(flags)
    const result = await depositToL2(endpoints, ctx.account, args.amount, flags.to)
    this.log(`${result.resumed ? 'resumed and completed' : 'deposited'} ${formatOpen(args.amount)} → ${result.to} on L2`)
    this.log(`L1 tx ${result.l1TxHash}\nL2 tx ${result.l2TxHash}`)
    this.log(`L2 balance ${formatOpen(BigInt(result.l2BalanceBefore))} → ${formatOpen(BigInt(result.l2BalanceAfter))}`)
    return result
  }
}
