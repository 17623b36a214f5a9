import {Args, Flags, type Interfaces} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {BaseCommand} from '../cli/base-command.js'
import {chainFlags, chainSelection, openAmountFlag} from '../cli/flags.js'
import {ExitCode, OpenledgerError, UsageError} from '../errors.js'
import {DEVICES, type DeviceRequest} from '../model/backend.js'
import {loadModel, predict} from '../model/infer.js'
import type {GradientMethod} from '../attribution/from-model.js'
import {resolveModel} from '../publish/resolve.js'
import {isLmArtifact} from '../lm/artifact-files.js'
import type {GenerateResult} from '../lm/generate.js'
import type {LmDeviceRequest} from '../lm/device.js'
import {
  type InferAnswer,
  type InferredPrediction,
  type PaidReceipt,
  attributeRows,
  inferAnswer,
  payRows,
  predictedRows,
} from '../serve/flow.js'

export type InferResult = GenerateAnswer | InferAnswer | {predictions: InferredPrediction[]; model: string; cid?: string; device: string}

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

/** `infer --prompt --json`: the generation and where it ran. */
export type GenerateAnswer = Pick<GenerateResult, 'text' | 'tokens' | 'finishReason' | 'usage'> & {
  receipt?: PaidReceipt
  model: string
  cid?: string
  device: string
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
    '<%= config.bin %> infer --model ./adapter --prompt "What is the capital of Italy?" --attribute --json',
    '<%= config.bin %> infer --server http://127.0.0.1:8080 --model support-tickets --text "my card was charged twice" --pay --account 3',
  ]
  static override args = {text: Args.string({description: 'Text to classify (same as --text).'})}
  static override flags = {
    ...chainFlags,
    model: Flags.string({description: 'Model: an artifact folder, a CID in the local store, or a registered name.', required: true}),
    text: Flags.string({description: 'Text to classify.'}),
    input: Flags.string({description: "JSONL file: one JSON string, or object with the model's text field, per line."}),
    'text-field': Flags.string({description: "Field of --input objects holding the text (default: the model's text field)."}),
    device: Flags.string({
      description: 'Execution device: auto tries cuda, then webgpu, then cpu.',
      options: [...DEVICES],
      env: 'OPENLEDGER_DEVICE',
    }),
    offline: Flags.boolean({description: 'Never contact the Hugging Face hub.', env: 'OPENLEDGER_OFFLINE'}),
    attribute: Flags.boolean({description: 'Attribute each prediction to the training records and contributors behind it.'}),
    method: Flags.string({
      description:
        'Attribution method: if (exact influence function on the head; pays by it), tracin (sum over checkpoints), graddot, representer. With --prompt: datainf (the default; "if" means it too) or tracin.',
      options: ['if', 'tracin', 'graddot', 'representer', 'datainf'],
      default: 'if',
    }),
    'top-k': Flags.integer({description: 'Records listed (and paid) per attribution.', default: 20, min: 1}),
    pay: Flags.boolean({
      description: 'Pay the fee through InferenceSettlement, split by the attribution (implies --attribute; the model must be published).',
    }),
    fee: openAmountFlag({
      description: 'Fee in OPEN for --pay (default 0.01); with --server, the most to pay: a higher quote is refused.',
      dependsOn: ['pay'],
    }),
    server: Flags.string({
      description:
        'Ask a running `openledger serve` (its URL) instead of loading the model here; with --pay, sign its quoted payment authorization as the signer (your credit in InferenceSettlement pays).',
    }),
    prompt: Flags.string({
      description:
        'Generate: the prompt for a language-model adapter (streams on a TTY; --json gives {"text","tokens","finishReason","usage"}, and "receipt" with --attribute or --pay).',
    }),
    'max-tokens': Flags.integer({description: 'Generate: most tokens to generate.', default: 128, min: 1}),
    temperature: Flags.string({description: 'Generate: sampling temperature (0: greedy, the default).'}),
    'top-p': Flags.string({description: 'Generate: nucleus sampling, in (0, 1].'}),
    seed: Flags.integer({description: 'Generate: sampling seed.', min: 0}),
    stop: Flags.string({description: 'Generate: stop before this string (repeatable).', multiple: true}),
    base: Flags.string({description: "Generate: base model folder, when the adapter's base is not where it was trained."}),
  }

  async run(): Promise<InferResult> {
    const {args, flags} = await this.parse(Infer)
    if (flags.prompt !== undefined) return this.generate(flags)
    // viem and the IPFS libraries only for --pay: plain inference starts fast (npm run bench -- cli).
    const [{resolveSigner}, {formatOpen}, {folderCid}, {DEFAULT_INFERENCE_FEE, modelIdForCid}] = flags.pay
      ? await Promise.all([
          import('../chain/context.js'),
          import('../chain/amounts.js'),
          import('../publish/cid.js'),
          import('../publish/pay.js'),
        ])
      : [
          {resolveSigner: undefined!},
          {formatOpen: undefined!},
          {folderCid: undefined!},
          {DEFAULT_INFERENCE_FEE: undefined!, modelIdForCid: undefined!},
        ]
    const single = flags.text ?? args.text
    if (single !== undefined && flags.input) throw new UsageError('give either --text or --input, not both')
    if (single === undefined && !flags.input) throw new UsageError('nothing to predict: give --text "…" or --input <file.jsonl>')
    if (single !== undefined && single.trim() === '') throw new UsageError('--text is empty')
    if (flags.pay && single === undefined) throw new UsageError('--pay settles one inference: give --text, not --input')
    if (flags.method === 'datainf')
      throw new UsageError('--method datainf attributes generated text (--prompt); a classifier uses if, tracin, graddot or representer')
    if (flags.server !== undefined) return this.remote(flags, single)
    const fee = flags.fee ?? DEFAULT_INFERENCE_FEE
    const signer = flags.pay ? await resolveSigner(chainSelection(flags)) : undefined
    const resolved = await resolveModel(flags.model)
    if (isLmArtifact(resolved.path))
      throw new UsageError(`--model ${flags.model} is a language-model adapter: give --prompt "…", not --text`)
    const model = await loadModel(resolved.path, {
      device: flags.device as DeviceRequest | undefined,
      allowRemote: flags.offline ? false : undefined,
    })
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
        await this.printRows(
          rows.map((r) => ({text: r.text, label: r.prediction.label, probability: r.prediction.probabilities[r.prediction.label]})),
        )
        return {predictions: rows.map((r) => r.prediction), model: model.path, ...(cid ? {cid} : {}), device: model.device}
      }
      const {loadQueryAttribution} = await import('../attribution/from-model.js')
      const ma = await loadQueryAttribution(model, cid ? {modelId: cid} : {})
      const predictions = await attributeRows(ma, rows, flags.method as GradientMethod, flags['top-k'])
      await this.printAttributed(model.path, predictions, texts)
      if (signer && cid) {
        const modelId = await modelIdForCid(signer, cid)
        const [{prediction, paid}] = await payRows(signer, [{prediction: predictions[0], modelId, cid, artifact: model.path, fee}])
        await this.printPaid(fee, paid)
        return inferAnswer(prediction, at)
      }
      if (single !== undefined) return inferAnswer(predictions[0], at)
      return {predictions, model: model.path, ...(cid ? {cid} : {}), device: model.device}
    } finally {
      await model.dispose()
    }
  }

  // Human output only (hidden under --json, where nothing below is even computed); src/ui/infer-output.ts lays it out.

  /** --input without --attribute: each row's line number, label, probability and text. */
  private async printRows(rows: Array<{text: string; label: string; probability: number}>): Promise<void> {
    if (this.jsonEnabled()) return
    const {outputWidth, predictionLines} = await import('../ui/infer-output.js')
    for (const line of predictionLines(rows, outputWidth())) this.log(line)
  }

  /** --attribute: per text, the label, then the table of the records behind it. */
  private async printAttributed(
    artifact: string,
    predictions: Array<{
      label: string
      probabilities: Record<string, number>
      attribution: {records: Array<{recordHash: string; contributor: string; score: number}>}
    }>,
    inputs: string[],
  ): Promise<void> {
    if (this.jsonEnabled()) return
    const {artifactRecordTexts, attributionTable, cutText, outputWidth} = await import('../ui/infer-output.js')
    const width = outputWidth()
    const texts = await artifactRecordTexts(
      artifact,
      predictions.flatMap((p) => p.attribution.records.map((r) => r.recordHash)),
    )
    predictions.forEach((p, i) => {
      if (i > 0) this.log('')
      const head = `${p.label} (${(p.probabilities[p.label] * 100).toFixed(1)}%)`
      this.log(predictions.length > 1 ? `${head}  ${cutText(inputs[i], Math.max(12, width - head.length - 2))}` : head)
      for (const line of attributionTable(p.attribution.records, texts, width)) this.log(`  ${line}`)
    })
  }

  /** --prompt --attribute: the table of the records behind the generated text. */
  private async printRecords(artifact: string, records: Array<{recordHash: string; contributor: string; score: number}>): Promise<void> {
    if (this.jsonEnabled()) return
    const {artifactRecordTexts, attributionTable, outputWidth} = await import('../ui/infer-output.js')
    const texts = await artifactRecordTexts(
      artifact,
      records.map((r) => r.recordHash),
    )
    for (const line of attributionTable(records, texts, outputWidth())) this.log(`  ${line}`)
  }

  /** --pay: what was paid, the receipt and transaction, and where the fee went. */
  private async printPaid(
    fee: bigint,
    paid: {
      receiptId: string
      txHash: string
      split: {platform: string; model: string; stakers: string; contributors: string}
      credited: Array<{address: string; amount: string}>
    },
  ): Promise<void> {
    if (this.jsonEnabled()) return
    const [{formatOpen}, {splitLines}] = await Promise.all([import('../chain/amounts.js'), import('../ui/infer-output.js')])
    this.log(`Paid ${formatOpen(fee)}: receipt ${paid.receiptId}, tx ${paid.txHash}`)
    for (const line of splitLines(fee, paid.split, paid.credited, formatOpen)) this.log(line)
  }

  /** --server: one text answered by a remote server; --pay signs its quote as the signer. */
  private async remote(flags: Interfaces.InferredFlags<typeof Infer.flags>, text: string | undefined): Promise<InferAnswer> {
    if (text === undefined) throw new UsageError('--server answers one text: give --text, not --input')
    let url: URL
    try {
      url = new URL(flags.server!)
    } catch {
      throw new UsageError(`--server ${flags.server}: not a URL (e.g. http://127.0.0.1:8080)`)
    }
    const [{OpenledgerClient, ServeError}, signer] = await Promise.all([
      import('../client/index.js'),
      flags.pay ? import('../chain/context.js').then(({resolveSigner}) => resolveSigner(chainSelection(flags))) : undefined,
    ])
    const client = new OpenledgerClient({url: url.toString(), payer: signer?.account as never, maxFee: flags.fee})
    let answer: InferAnswer
    try {
      answer = await client.infer({model: flags.model, text, attribute: flags.attribute || flags.pay, topK: flags['top-k'], pay: flags.pay})
    } catch (err) {
      if (!(err instanceof ServeError)) throw err
      throw new OpenledgerError('E_SERVE', `--server ${url.origin}: ${err.status} ${err.message}`, {
        exitCode: err.status === 400 || err.status === 402 ? ExitCode.usage : ExitCode.failure,
        ...(err.code === 'E_PAYMENT_REQUIRED' && err.quote
          ? {metaMessages: [`Deposit OPEN into InferenceSettlement ${err.quote.settlement} on chain ${err.quote.chainId} to pay from it.`]}
          : {}),
      })
    }
    const p = answer.prediction
    this.log(`${p.label} (${(p.probabilities[p.label] * 100).toFixed(1)}%)`)
    if (p.receipt?.receiptId) {
      const {formatOpen} = await import('../chain/amounts.js')
      this.log(
        `Paid ${formatOpen(BigInt(p.receipt.fee ?? 0))} from ${p.receipt.payer}'s credit: receipt ${p.receipt.receiptId}, tx ${p.receipt.txHash}`,
      )
    }
    return answer
  }

  /** --prompt: generate with a language-model adapter; tokens stream to a TTY as they come. */
  private async generate(flags: Interfaces.InferredFlags<typeof Infer.flags>): Promise<GenerateAnswer> {
    if (flags.text !== undefined || flags.input)
      throw new UsageError('give either --prompt (a language model) or --text/--input (a classifier)')
    if (flags.server !== undefined) throw new UsageError('--server asks a server to classify --text; generate with --prompt here')
    if (flags.prompt!.trim() === '') throw new UsageError('--prompt is empty')
    const method = flags.method === 'if' || flags.method === 'datainf' ? 'datainf' : flags.method === 'tracin' ? 'tracin' : undefined
    if ((flags.attribute || flags.pay) && !method)
      throw new UsageError(`--method ${flags.method}: generated text is attributed with datainf or tracin`)
    const num = (flag: string, v: string | undefined, ok: (n: number) => boolean, want: string) => {
      if (v === undefined) return undefined
      const n = Number(v)
      if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`--${flag} must be ${want}, got ${JSON.stringify(v)}`)
      return n
    }
    const temperature = num('temperature', flags.temperature, (n) => n >= 0, 'a number ≥ 0')
    const topP = num('top-p', flags['top-p'], (n) => n > 0 && n <= 1, 'a number in (0, 1]')
    // The engine (TensorFlow.js) loads only for --prompt: classifier inference starts as fast as before.
    const [{complete, loadLmArtifact}, {LM_DEVICES}] = await Promise.all([import('../lm/complete.js'), import('../lm/device.js')])
    const device = flags.device ?? 'auto'
    if (!(LM_DEVICES as readonly string[]).includes(device))
      throw new UsageError(`--device ${device}: a language model runs on ${LM_DEVICES.join(', ')}`)
    // The signer first: a missing key or devnet fails before the engine loads and generates.
    const [{resolveSigner}, {formatOpen}, {folderCid}, {DEFAULT_INFERENCE_FEE, modelIdForCid, settleInferences}] = flags.pay
      ? await Promise.all([
          import('../chain/context.js'),
          import('../chain/amounts.js'),
          import('../publish/cid.js'),
          import('../publish/pay.js'),
        ])
      : [
          {resolveSigner: undefined!},
          {formatOpen: undefined!},
          {folderCid: undefined!},
          {DEFAULT_INFERENCE_FEE: undefined!, modelIdForCid: undefined!, settleInferences: undefined!},
        ]
    const signer = flags.pay ? await resolveSigner(chainSelection(flags)) : undefined
    const resolved = await resolveModel(flags.model)
    if (!isLmArtifact(resolved.path))
      throw new UsageError(`--model ${flags.model} is not a language-model adapter (no adapter_config.json): use --text for a classifier`)
    const cid = resolved.cid ?? (flags.pay ? await folderCid(resolved.path) : undefined)
    // Registered or not is known before generating: an unpublished model is refused up front.
    const modelId = signer && cid ? await modelIdForCid(signer, cid) : undefined
    const lm = await loadLmArtifact(resolved.path, {device: device as LmDeviceRequest, baseDir: flags.base})
    try {
      const stream = !this.jsonEnabled() && process.stdout.isTTY
      const r = await complete(lm, flags.prompt!, {
        maxTokens: flags['max-tokens'],
        temperature,
        topP,
        seed: flags.seed,
        stop: flags.stop,
        onText: stream ? (d) => process.stdout.write(d) : undefined,
      })
      if (stream) process.stdout.write('\n')
      else this.log(r.text)
      const answer: GenerateAnswer = {
        text: r.text,
        tokens: r.tokens,
        finishReason: r.finishReason,
        usage: r.usage,
        model: resolved.path,
        ...(cid ? {cid} : {}),
        device: lm.device.device,
      }
      if (!flags.attribute && !flags.pay) return answer
      const {attributeCompletion} = await import('../lm/artifact-attribution.js')
      const {receipt} = await attributeCompletion({
        adapterDir: resolved.path,
        lm,
        prompt: flags.prompt!,
        output: r.text,
        topK: flags['top-k'],
        method,
        modelId: cid,
      })
      await this.printRecords(resolved.path, receipt.records)
      if (!signer || modelId === undefined || !cid) return {...answer, receipt}
      const fee = flags.fee ?? DEFAULT_INFERENCE_FEE
      // The same settlement as a classifier's answer (src/publish/pay.ts), with the generation's receipt.
      const [paid] = await settleInferences(signer, [{modelId, receipt, fee, cid, artifact: resolved.path}])
      await this.printPaid(fee, paid)
      return {...answer, receipt: {...receipt, fee: paid.fee, split: paid.split, txHash: paid.txHash, receiptId: paid.receiptId}}
    } finally {
      lm.dispose()
    }
  }
}
