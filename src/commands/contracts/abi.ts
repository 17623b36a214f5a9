import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {contractAbi} from '../../contracts/registry.js'

export default class ContractsAbi extends BaseCommand<readonly unknown[]> {
  static override description =
    'Print the ABI of a protocol contract or of an OP Stack contract the devnet runs (a JSON array, for cast, viem or a frontend). --json: the shape is schemas/commands/contracts-abi.schema.json.'
  static override examples = ['<%= config.bin %> contracts abi OpenToken --json', '<%= config.bin %> contracts abi OptimismPortal --json']
  static override args = {name: Args.string({description: 'Contract name (see `contracts list`).', required: true})}

  async run(): Promise<readonly unknown[]> {
    const {args} = await this.parse(ContractsAbi)
    const abi = await contractAbi(args.name)
    this.log(JSON.stringify(abi, null, 2))
    return abi
  }
}
