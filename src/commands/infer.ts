import {Args, Flags} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import {DEVICES, type DeviceRequest} from '../model/backend.js'
import {type Prediction, loadModel, predict} from '../model/infer.js'
import type {AttributedPrediction, GradientMethod} from '../attribution/from-model.js'

type Attributed = Prediction & Partial<Pick<AttributedPrediction, 'attribution' | 'receipt'>>

export type InferResult = {prediction: Attributed; model: string; device: string} | {predictions: Attributed[]; model: string; device: string}

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

--json: {"prediction":{"label","probabilities":{"<label>":p}}} for --text, {"predictions":[…]} for --input.
With --attribute each prediction adds "attribution":{"method","records":[{"recordHash","contributor","score"}],"contributors":[{"address","weight"}],"datanets":[…]} (records sorted by score, proponents first; weights in 1e18 fixed point summing exactly to 1e18) and a "receipt" (model hash, checkpoint, input and output hashes, top records, weights).`
  static override examples = [
    '<%= config.bin %> infer --model .openledger/models/support-tickets-v1-1a2b3c4d --text "my card was charged twice"',
    '<%= config.bin %> infer "my card was charged twice" --model ./model --json',
    '<%= config.bin %> infer --model ./model --input held-out.jsonl --json',
    '<%= config.bin %> infer --model ./model --text "my card was charged twice" --attribute --top-k 10 --json',
  ]
  static override args = {text: Args.string({description: 'Text to classify (same as --text).'})}
  static override flags = {
    model: Flags.string({description: 'Model artifact folder (written by `openledger train`).', required: true}),
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
      dependsOn: ['attribute'],
    }),
    'top-k': Flags.integer({description: 'Records listed (and paid) per attribution.', default: 20, min: 1, dependsOn: ['attribute']}),
  }

  async run(): Promise<InferResult> {
    const {args, flags} = await this.parse(Infer)
    const single = flags.text ?? args.text
    if (single !== undefined && flags.input) throw new UsageError('give either --text or --input, not both')
    if (single === undefined && !flags.input) throw new UsageError('nothing to predict: give --text "…" or --input <file.jsonl>')
    if (single !== undefined && single.trim() === '') throw new UsageError('--text is empty')
    const model = await loadModel(flags.model, {device: flags.device as DeviceRequest | undefined, allowRemote: flags.offline ? false : undefined})
    try {
      const texts = single !== undefined ? [single] : readInputFile(flags.input!, flags['text-field'] ?? model.config.text_field)
      let predictions: Attributed[]
      if (flags.attribute) {
        const {attributeTexts, loadModelAttribution} = await import('../attribution/from-model.js')
        const ma = await loadModelAttribution(model)
        predictions = await attributeTexts(ma, texts, {method: flags.method as GradientMethod, topK: flags['top-k']})
        for (const p of predictions) {
          this.log(`${p.label} (${(p.probabilities[p.label] * 100).toFixed(1)}%)`)
          for (const r of p.attribution!.records.slice(0, 5)) this.log(`  ${r.score.toExponential(3).padStart(11)}  ${r.recordHash}  ${r.contributor}`)
        }
        if (single !== undefined) return {prediction: predictions[0], model: model.path, device: model.device}
        return {predictions, model: model.path, device: model.device}
      }
      ;({predictions} = await predict(model, texts))
      if (single !== undefined) {
        const p = predictions[0]
        this.log(`${p.label} (${(p.probabilities[p.label] * 100).toFixed(1)}%)`)
        return {prediction: p, model: model.path, device: model.device}
      }
      for (const p of predictions) this.log(`${p.label}\t${p.probabilities[p.label].toFixed(3)}`)
      return {predictions, model: model.path, device: model.device}
    } finally {
      await model.dispose()
    }
  }
}
