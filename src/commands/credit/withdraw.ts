import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import type {CreditResult} from '../../protocol/credit.js'

export default class CreditWithdraw extends BaseCommand<CreditResult> {
  static override description = `Withdraw unspent credit from InferenceSettlement (all of it unless an amount is given).

JSON result (schemas/commands/credit-withdraw.schema.json): address; credit (wei, after); settlement; amount (wei withdrawn); transactionHash.`
  static override examples = ['<%= config.bin %> credit withdraw --account 3', '<%= config.bin %> credit withdraw 0.5 --account 3 --json']
  static override args = {amount: openAmountArg({description: 'OPEN to withdraw (default: all).'})}
  static override flags = {...chainFlags}

  async run(): Promise<CreditResult> {
    const {args, flags} = await this.parse(CreditWithdraw)
    const [{resolveSigner}, {withdrawCredit}] = await Promise.all([import('../../chain/context.js'), import('../../protocol/credit.js')])
    const r = await withdrawCredit(await resolveSigner(chainSelection(flags)), args.amount)
    this.log(`Withdrew ${formatOpen(r.amount ?? 0n)}; ${r.address} has ${formatOpen(r.credit)} of credit left`)
    return r
  }
}
