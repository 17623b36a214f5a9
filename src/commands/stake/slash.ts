import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {UsageError} from '../../errors.js'
import {addressArg, chainFlags, chainSelection, openAmountArg} from '../../cli/flags.js'
import {resolveSigner} from '../../chain/context.js'
import {formatOpen} from '../../chain/amounts.js'
import {type SlashResult, slash} from '../../protocol/stake.js'

export default class StakeSlash extends BaseCommand<SlashResult> {
  static override description = `Slash a staker: take OPEN from its stake (active first, then in cooldown) and send it to the treasury.

Only an account holding SLASHER_ROLE on Staking may do this (on the devnet: the admin, account 0).
JSON result (schemas/commands/stake-slash.schema.json): transactionHash; staker; amount (wei slashed, decimal string); evidence; slasher; treasury
(where the OPEN went); staked and pendingWithdrawal (what the staker has left, wei).`
  static override examples = [
    '<%= config.bin %> stake slash 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 4 --evidence "ipfs://bafy…/report.json"',
    '<%= config.bin %> stake slash 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 4 --evidence 0x5f…e1 --json',
  ]
  static override args = {
    address: addressArg({description: 'The staker to slash.', required: true}),
    amount: openAmountArg({description: 'OPEN to slash, in whole units.', required: true}),
  }
  static override flags = {
    ...chainFlags,
    evidence: Flags.string({
      description: 'What justifies the slash: a hash or a URI (recorded on-chain in the Slashed event).',
      required: true,
      parse: async (input) => {
        if (input.trim() === '') throw new UsageError('--evidence must not be empty: give a hash or URI of what justifies the slash')
        return input
      },
    }),
  }

  async run(): Promise<SlashResult> {
    const {args, flags} = await this.parse(StakeSlash)
    const ctx = await resolveSigner(chainSelection(flags))
    const result = await slash(ctx, {staker: args.address, amount: args.amount, evidence: flags.evidence})
    this.log(
      `Slashed ${formatOpen(result.amount)} from ${result.staker} to the treasury ${result.treasury}; left: ${formatOpen(result.staked)}`,
    )
    this.log(`tx ${result.transactionHash}`)
    return result
  }
}
