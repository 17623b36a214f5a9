import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {resolveSigner} from '../../chain/context.js'
import {formatOpen} from '../../chain/amounts.js'
import {type DepositResult, STAKE_ROLES, deposit} from '../../protocol/stake.js'

export default class StakeDeposit extends BaseCommand<DepositResult> {
  static override description = `Stake native OPEN as a validator or an AI agent.

An address keeps one role until it has withdrawn everything. JSON result (schemas/commands/stake-deposit.schema.json): transactionHash; address (the
staker); role ("validator" or "agent"); amount (wei staked now, decimal string); staked (the address's
whole active stake after this deposit, wei).`
  static override examples = [
    '<%= config.bin %> stake deposit 10 --role agent --account 1',
    '<%= config.bin %> stake deposit 0.5 --role validator --json',
  ]
  static override args = {amount: openAmountArg({description: 'OPEN to stake, in whole units (10, 0.5).', required: true})}
  static override flags = {
    ...chainFlags,
    role: Flags.option({description: 'What the stake backs.', options: STAKE_ROLES, required: true})(),
  }

  async run(): Promise<DepositResult> {
    const {args, flags} = await this.parse(StakeDeposit)
    const ctx = await resolveSigner(chainSelection(flags))
    const result = await deposit(ctx, {amount: args.amount, role: flags.role})
    this.log(`Staked ${formatOpen(result.amount)} as ${result.role} from ${result.address}; now staked: ${formatOpen(result.staked)}`)
    this.log(`tx ${result.transactionHash}`)
    return result
  }
}
