import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import type {CreditResult} from '../../protocol/credit.js'

export default class CreditDeposit extends BaseCommand<CreditResult> {
  static override description =
    `Deposit native OPEN as prepaid credit in InferenceSettlement, for servers to settle your signed payment authorizations from.

JSON result (schemas/commands/credit-deposit.schema.json): address; credit (wei, after); settlement; amount (wei deposited); transactionHash.`
  static override examples = ['<%= config.bin %> credit deposit 1 --account 3']
  static override args = {amount: openAmountArg({description: 'OPEN to deposit, in whole units.', required: true})}
  static override flags = {...chainFlags}

  async run(): Promise<CreditResult> {
    const {args, flags} = await this.parse(CreditDeposit)
    const [{resolveSigner}, {depositCredit}] = await Promise.all([import('../../chain/context.js'), import('../../protocol/credit.js')])
    const r = await depositCredit(await resolveSigner(chainSelection(flags)), args.amount)
    this.log(`Deposited ${formatOpen(args.amount)}; ${r.address} now has ${formatOpen(r.credit)} of credit`)
    return r
  }
}
