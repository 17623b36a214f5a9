import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection, openAmountFlag} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {UsageError} from '../../errors.js'
import type {RulingResult} from '../../protocol/challenge.js'

export default class StakeResolve extends BaseCommand<RulingResult> {
  static override description =
    `Rule on a challenge (SLASHER_ROLE only): recompute the challenged receipt from the evidence and the published model; upheld when it disagrees (the agent is slashed, part to the challenger), dismissed otherwise.

JSON result (schemas/commands/stake-resolve.schema.json): challengeId; receiptId; agent; challenger; upheld; slashed and toChallenger (wei); reasons; transactionHash.`
  static override examples = ['<%= config.bin %> stake resolve 1', '<%= config.bin %> stake resolve 1 --amount 10 --json']
  static override args = {challengeId: Args.string({description: 'The Staking challenge id.', required: true})}
  static override flags = {
    ...chainFlags,
    amount: openAmountFlag({description: 'OPEN to slash when upheld (default: all the agent has staked).'}),
  }

  async run(): Promise<RulingResult> {
    const {args, flags} = await this.parse(StakeResolve)
    if (!/^\d+$/.test(args.challengeId)) throw new UsageError(`challenge id ${args.challengeId}: give a positive integer`)
    const [{resolveSigner}, {ruleOnChallenge}] = await Promise.all([
      import('../../chain/context.js'),
      import('../../protocol/challenge.js'),
    ])
    const ctx = await resolveSigner(chainSelection(flags))
    const r = await ruleOnChallenge(ctx, {challengeId: BigInt(args.challengeId), amount: flags.amount})
    this.log(
      r.upheld
        ? `Upheld: slashed ${formatOpen(r.slashed)} from ${r.agent}, ${formatOpen(r.toChallenger)} to the challenger ${r.challenger}`
        : `Dismissed: ${r.agent} is not slashed`,
    )
    for (const line of r.reasons) this.log(`  ${line}`)
    return r
  }
}
