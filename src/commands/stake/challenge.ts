import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {UsageError} from '../../errors.js'
import type {ChallengeResult} from '../../protocol/challenge.js'
import {readReceiptFile} from '../attribute/verify.js'

export type StakeChallengeResult = ChallengeResult & {reasons: string[]}

export default class StakeChallenge extends BaseCommand<StakeChallengeResult> {
  static override description =
    `Challenge a receipt's attribution: recompute it (as \`attribute verify\`) and, when it disagrees, record the challenge on-chain against the agent that settled it.

The evidence (the text and the settled receipt) goes in the ChallengeOpened event so that the slasher can recompute it (\`stake resolve\`); upheld, the agent is slashed and the challenger gets part of it. A receipt that agrees is not challenged unless --force.
JSON result (schemas/commands/stake-challenge.schema.json): challengeId; receiptId; agent; evidenceHash (the recomputed receipt's hash); transactionHash; reasons.`
  static override examples = ['<%= config.bin %> stake challenge 12 --text "my card was charged twice" --receipt answer.json']
  static override args = {receiptId: Args.string({description: 'The InferenceSettlement receipt id.', required: true})}
  static override flags = {
    ...chainFlags,
    text: Flags.string({description: 'The text the receipt answered.', required: true}),
    receipt: Flags.string({description: 'The receipt JSON settled (or the `infer --json` / server answer holding it).'}),
    force: Flags.boolean({description: 'Challenge even a receipt that agrees with the recomputation.'}),
  }

  async run(): Promise<StakeChallengeResult> {
    const {args, flags} = await this.parse(StakeChallenge)
    if (!/^\d+$/.test(args.receiptId)) throw new UsageError(`receipt id ${args.receiptId}: give a positive integer`)
    const receipt = flags.receipt ? readReceiptFile(flags.receipt) : undefined
    const [{resolveSigner}, {verifyReceipt}, {openChallenge}] = await Promise.all([
      import('../../chain/context.js'),
      import('../../protocol/verify-receipt.js'),
      import('../../protocol/challenge.js'),
    ])
    const ctx = await resolveSigner(chainSelection(flags))
    const v = await verifyReceipt(ctx, {receiptId: BigInt(args.receiptId), text: flags.text, receipt})
    if (v.agree && !flags.force)
      throw new UsageError(`receipt ${v.receiptId} agrees with the recomputation: nothing to challenge (--force to challenge anyway)`)
    const r = await openChallenge(ctx, v, flags.text)
    this.log(`Challenge ${r.challengeId} against ${r.agent} for receipt ${r.receiptId}; tx ${r.transactionHash}`)
    for (const line of v.reasons) this.log(`  ${line}`)
    return {...r, reasons: v.reasons}
  }
}
