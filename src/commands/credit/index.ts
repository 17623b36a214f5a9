import {BaseCommand} from '../../cli/base-command.js'
import {addressFlag, chainFlags, chainSelection} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import type {CreditResult} from '../../protocol/credit.js'

export default class Credit extends BaseCommand<CreditResult> {
  static override description =
    `Prepaid credit in InferenceSettlement: what your signed payment authorizations spend when a server answers your paid requests (\`infer --server … --pay\`).

JSON result (schemas/commands/credit.schema.json): address; credit (wei); settlement (the contract's address).`
  static override examples = [
    '<%= config.bin %> credit --account 3',
    '<%= config.bin %> credit --address 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --json',
  ]
  static override flags = {...chainFlags, address: addressFlag({description: 'Whose credit (default: the signer).'})}

  async run(): Promise<CreditResult> {
    const {flags} = await this.parse(Credit)
    const [{resolveSigner, resolveChain}, {creditOf}] = await Promise.all([
      import('../../chain/context.js'),
      import('../../protocol/credit.js'),
    ])
    const address = flags.address ?? (await resolveSigner(chainSelection(flags))).account.address
    const r = await creditOf(await resolveChain(chainSelection(flags)), address)
    this.log(`${r.address}: ${formatOpen(r.credit)} of credit in InferenceSettlement ${r.settlement}`)
    return r
  }
}
