import {Args, Flags} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import {DEVICES, type DeviceRequest} from '../model/backend.js'
import {type Prediction, loadModel, predict} from '../model/infer.js'

export type InferResult = {prediction: Prediction; model: string; device: string} | {predictions: Prediction[]; model: string; device: string}

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
  static override description = 'Predict labels with a trained model artifact: one text, or a JSONL file in input order.'
  static override examples = [
    '<%= config.bin %> infer --model .openledger/models/support-tickets-v1-1a2b3c4d --text "my card was charged twice"',
    '<%= config.bin %> infer "my card was charged twice" --model ./model --json',
    '<%= config.bin %> infer --model ./model --input held-out.jsonl --json',
  ]
  static override args = {text: Args.string({description: 'Text to classify (same as --text).'})}
  static override flags = {
    model: Flags.string({description: 'Model artifact folder (written by `openledger train`).', required: true}),
    text: Flags.string({description: 'Text to classify.'}),
    input: Flags.string({description: 'JSONL file: one JSON string, or object with the model\'s text field, per line.'}),
    'text-field': Flags.string({description: 'Field of --input objects holding the text (default: the model\'s text field).'}),
    device: Flags.string({description: 'Execution device: auto tries cuda, then webgpu, then cpu.', options: [...DEVICES], env: 'OPENLEDGER_DEVICE'}),
    offline: Flags.boolean({description: 'Never contact the Hugging Face hub.', env: 'OPENLEDGER_OFFLINE'}),
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
      const {predictions} = await predict(model, texts)
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
