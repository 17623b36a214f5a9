import {Args, Flags} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {BaseCommand} from '../cli/base-command.js'
import {chainFlags, chainSelection, openAmountFlag} from '../cli/flags.js'
import {UsageError} from '../errors.js'
import {DEVICES, type DeviceRequest} from '../model/backend.js'
import {loadModel, predict} from '../model/infer.js'
import type {GradientMethod} from '../attribution/from-model.js'
import {resolveModel} from '../publish/resolve.js'
import {type InferAnswer, type InferredPrediction, attributeRows, inferAnswer, payRows, predictedRows} from '../serve/flow.js'

export type InferResult = InferAnswer | {predictions: InferredPrediction[]; model: string; cid?: string; device: string}

/** Reads texts from a JSONL file: each line a JSON string or an object with the text field. */
export function readInputFile(path: string, textField: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new UsageError(`--input ${path}: cannot read the file`)
  }
  const out: string[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch {
      throw new UsageError(`--input ${path}:${i + 1}: not valid JSON`)
    }
    const t = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as Record<string, unknown>)[textField] : undefined
    if (typeof t !== 'string') throw new UsageError(`--input ${path}:${i + 1}: no "${textField}" string field`)
    out.push(t)
  })
  if (out.length === 0) throw new UsageError(`--input ${path}: no lines to predict`)
  return out
}

export default class Infer extends BaseCommand<InferResult> {
  static override description = `Predict labels with a trained model artifact: one text, or a JSONL file in input order.

--json: the shape is schemas/commands/infer.schema.json.
With --attribute each prediction adds "attribution":{"method","records":[{"recordHash","contributor","score"}],"contributors":[{"address","weight"}],"datanets":[…]} (records sorted by score, proponents first; weights in 1e18 fixed point summing exactly to 1e18) and a "receipt" (model hash, checkpoint, input and output hashes, top records, weights).`
  static override examples = [
    '<%= config.bin %> infer --model .openledger/models/support-tickets-v1-1a2b3c4d --text "my card was charged twice"',
    '<%= config.bin %> infer "my card was charged twice" --model ./model --json',
    '<%= config.bin %> infer --model ./model --input held-out.jsonl --json',
    '<%= config.bin %> infer --model ./model --text "my card was charged twice" --attribute --top-k 10 --json',
  ]
  static override args = {text: Args.string({description: 'Text to classify (same as --text).'})}
  static override flags = {
    ...chainFlags,
    model: Flags.string({description: 'Model: an artifact folder, a CID in the local store, or a registered name.', required: true}),
    text: Flags.string({description: 'Text to classify.'}),
    input: Flags.string({description: 'JSONL file: one JSON string, or object with the model\'s text field, per line.'}),
    'text-field': Flags.string({description: 'Field of --input objects holding the text (default: the model\'s text field).'}),
    device: Flags.string({description: 'Execution device: auto tries cuda, then webgpu, then cpu.', options: [...DEVICES], env: 'OPENLEDGER_DEVICE'}),
    offline: Flags.boolean({description: 'Never contact the Hugging Face hub.', env: 'OPENLEDGER_OFFLINE'}),
    attribute: Flags.boolean({description: 'Attribute each prediction to the training records and contributors behind it.'}),
    method: Flags.string({
      description: 'Attribution method: if (exact influence function on the head; pays by it), tracin (sum over checkpoints), graddot, representer.',
      options: ['if', 'tracin', 'graddot', 'representer'],
      default: 'if',
    }),
    'top-k': Flags.integer({description: 'Records listed (and paid) per attribution.', default: 20, min: 1}),
    pay: Flags.boolean({description: 'Pay the fee through InferenceSettlement, split by the attribution (implies --attribute; the model must be published).'}),
    fee: openAmountFlag({description: 'Fee in OPEN for --pay (default 0.01).', dependsOn: ['pay']}),
  }

  async run(): Promise<InferResult> {
    const {args, flags} = await this.parse(Infer)
    // viem and the IPFS libraries only for --pay: plain inference starts fast (npm run bench -- cli).
    const [{resolveSigner}, {formatOpen}, {folderCid}, {DEFAULT_INFERENCE_FEE, modelIdForCid}] = flags.pay
      ? await Promise.all([import('../chain/context.js'), import('../chain/amounts.js'), import('../publish/cid.js'), import('../publish/pay.js')])
      : [{resolveSigner: undefined!}, {formatOpen: undefined!}, {folderCid: undefined!}, {DEFAULT_INFERENCE_FEE: undefined!, modelIdForCid: undefined!}]
    const single = flags.text ?? args.text
    if (single !== undefined && flags.input) throw new UsageError('give either --text or --input, not both')
    if (single === undefined && !flags.input) throw new UsageError('nothing to predict: give --text "…" or --input <file.jsonl>')
    if (single !== undefined && single.trim() === '') throw new UsageError('--text is empty')
    if (flags.pay && single === undefined) throw new UsageError('--pay settles one inference: give --text, not --input')
    const fee = flags.fee ?? DEFAULT_INFERENCE_FEE
    const signer = flags.pay ? await resolveSigner(chainSelection(flags)) : undefined
    const resolved = await resolveModel(flags.model)
    const model = await loadModel(resolved.path, {device: flags.device as DeviceRequest | undefined, allowRemote: flags.offline ? false : undefined})
    try {
      const texts = single !== undefined ? [single] : readInputFile(flags.input!, flags['text-field'] ?? model.config.text_field)
      // The flow `serve` runs too (src/serve/flow.ts): predict, attribute, pay.
      const out = await predict(model, texts)
      const rows = predictedRows(out, texts)
      const cid = resolved.cid ?? (flags.pay ? await folderCid(model.path) : undefined)
      const at = {model: model.path, cid, device: model.device}
      if (!flags.attribute && !flags.pay) {
        if (single !== undefined) {
          const p = rows[0].prediction
          this.log(`${p.label} (${(p.probabilities[p.label] * 100).toFixed(1)}%)`)
          return inferAnswer(p, at)
        }
        for (const {prediction: p} of rows) this.log(`${p.label}\t${p.probabilities[p.label].toFixed(3)}`)
        return {predictions: rows.map((r) => r.prediction), model: model.path, ...(cid ? {cid} : {}), device: model.device}
      }
      const {loadModelAttribution} = await import('../attribution/from-model.js')
      const ma = await loadModelAttribution(model, cid ? {modelId: cid} : {})
      const predictions = await attributeRows(ma, rows, flags.method as GradientMethod, flags['top-k'])
      for (const p of predictions) {
        this.log(`${p.label} (${(p.probabilities[p.label] * 100).toFixed(1)}%)`)
        for (const r of p.attribution.records.slice(0, 5)) this.log(`  ${r.score.toExponential(3).padStart(11)}  ${r.recordHash}  ${r.contributor}`)
      }
      if (signer && cid) {
        const modelId = await modelIdForCid(signer, cid)
        const [{prediction, paid}] = await payRows(signer, [{prediction: predictions[0], modelId, cid, fee}])
        this.log(`Paid ${formatOpen(fee)}: receipt ${paid.receiptId}, tx ${paid.txHash}`)
        return inferAnswer(prediction, at)
      }
      if (single !== undefined) return inferAnswer(predictions[0], at)
      return {predictions, model: model.path, ...(cid ? {cid} : {}), device: model.device}
    } finally {
      await model.dispose()
    }
  }
}
