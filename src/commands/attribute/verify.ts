import {readFileSync} from 'node:fs'

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import type {Receipt} from '../../attribution/receipt.js'
import {UsageError} from '../../errors.js'
import type {ReceiptVerification} from '../../protocol/verify-receipt.js'

export type AttributeVerifyResult = Omit<ReceiptVerification, 'recomputed' | 'settled'>

/** Reads a receipt JSON file: the receipt itself, or an `infer --json` answer holding it. */
export function readReceiptFile(path: string): Receipt {
  let v: unknown
  try {
    v = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    throw new UsageError(`--receipt ${path}: cannot read it as JSON`)
  }
  const o = v as {prediction?: {receipt?: unknown}; receipt?: unknown}
  const r = (o?.prediction?.receipt ?? o?.receipt ?? v) as Partial<Receipt> & Record<string, unknown>
  if (!r || typeof r !== 'object' || !Array.isArray(r.contributors) || typeof r.inputHash !== 'string')
    throw new UsageError(`--receipt ${path}: no receipt (method, model, inputHash, records, contributors) in it`)
  // The settled receipt is the attribution alone; what settling added (fee, split, tx) is not hashed.
  const {fee: _f, split: _s, txHash: _t, receiptId: _r, payer: _p, agent: _a, ...receipt} = r
  return receipt as Receipt
}

export default class AttributeVerify extends BaseCommand<AttributeVerifyResult> {
  static override description = `Recompute a settled receipt's attribution from the published model and compare the weights settled.

Reads the receipt's settlement on-chain (agent, model version, response hash, contributors credited), checks that the receipt JSON (--receipt, or the one this folder stored when it settled) is the one settled and answers --text, recomputes the attribution from the model version's artifact (by its CID) with the receipt's method and top-k, and reports agree or disagree. Weights agree within a tolerance of 1e-4 of the whole (see docs): the recomputation is deterministic on one machine; the tolerance absorbs float rounding across machines. Exit code 0 either way; "agree" says which.

JSON result (schemas/commands/attribute-verify.schema.json): receiptId; agree; reasons; agent; payer; modelId; modelVersion; cid; method; tolerance; contributors [{address, settled, recomputed, difference}] (1e18 units); recomputedHash; txHash.`
  static override examples = [
    '<%= config.bin %> attribute verify 12 --text "my card was charged twice"',
    '<%= config.bin %> attribute verify 12 --text "my card was charged twice" --receipt answer.json --json',
  ]
  static override args = {receiptId: Args.string({description: 'The InferenceSettlement receipt id.', required: true})}
  static override flags = {
    ...chainFlags,
    text: Flags.string({description: 'The text the receipt answered.', required: true}),
    receipt: Flags.string({description: 'The receipt JSON settled (or the `infer --json` / server answer holding it).'}),
  }

  async run(): Promise<AttributeVerifyResult> {
    const {args, flags} = await this.parse(AttributeVerify)
    if (!/^\d+$/.test(args.receiptId)) throw new UsageError(`receipt id ${args.receiptId}: give a positive integer`)
    const receipt = flags.receipt ? readReceiptFile(flags.receipt) : undefined
    const [{resolveChain}, {verifyReceipt}] = await Promise.all([
      import('../../chain/context.js'),
      import('../../protocol/verify-receipt.js'),
    ])
    const ctx = await resolveChain(chainSelection(flags))
    const {recomputed: _r, settled: _s, ...v} = await verifyReceipt(ctx, {receiptId: BigInt(args.receiptId), text: flags.text, receipt})
    this.log(`Receipt ${v.receiptId} (agent ${v.agent}, model ${v.cid}): ${v.agree ? 'agrees' : 'DISAGREES'} with the recomputation`)
    for (const r of v.reasons) this.log(`  ${r}`)
    return v
  }
}
