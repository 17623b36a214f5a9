import {Flags, type Interfaces} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import {DEVICES} from '../model/backend.js'
import {type ModelConfig, modelSection, resolveModelConfig} from '../model/config.js'
import {loadDatanetSource} from '../model/datanet-source.js'
import {type TrainModelReturnType, trainModel} from '../model/train.js'
import {trainProgressLines, withTrainProgress} from '../ui/train-progress.js'
import type {TrainLmArtifactResult} from '../lm/artifact.js'
import type {LmDeviceRequest} from '../lm/device.js'
import type {LmHyperparameters} from '../lm/train.js'
import {lmProgressLines, lmProgressPrinter} from '../ui/lm-progress.js'
import {commandProgress, quietFlag} from '../cli/progress.js'

type TrainedDatanet = {datanet: {name: string; datanetId: string | null; version: number | 'draft'; root: string}}
/** `artifact` is the folder's absolute path (as in `dev`), its config hash beside it, for both tasks. */
export type TrainResult =
  | (Omit<TrainModelReturnType, 'datanet' | 'artifact'> & {artifact: string; configHash: string} & TrainedDatanet)
  | (Omit<TrainLmArtifactResult, 'artifact'> & {task: 'generate'; artifact: string; configHash: string} & TrainedDatanet)

/** Reads --exclude-records: one record hash a line; blank lines and # comments ignored. */
export function readExcludeFile(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new UsageError(`--exclude-records ${path}: cannot read the file`)
  }
  const hashes: string[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    const h = line.replace(/#.*/, '').trim()
    if (h === '') return
    if (!/^0x[0-9a-fA-F]{64}$/.test(h))
      throw new UsageError(`--exclude-records ${path}:${i + 1}: "${h.slice(0, 80)}" is not a record hash (0x + 64 hex digits)`)
    hashes.push(h)
  })
  return hashes
}

export default class Train extends BaseCommand<TrainResult> {
  static override description =
    'Train a text classifier (frozen encoder + low-rank adapter + softmax head) on a published datanet version and write the model artifact. --json: the shape is schemas/commands/train.schema.json.'
  static override examples = [
    '<%= config.bin %> train --datanet support-tickets --text-field text --label-field label',
    '<%= config.bin %> train --datanet support-tickets --epochs 20 --lr 0.001 --device cpu --json',
    '<%= config.bin %> train --datanet support-tickets --exclude-records drop.txt --out models/without-drop',
  ]
  static override flags = {
    datanet: Flags.string({description: 'Datanet to train on (default: model.datanet in openledger.config.json).'}),
    version: Flags.integer({description: 'Datanet version (default: the latest published).', min: 1}),
    'allow-draft': Flags.boolean({description: 'Train on the unpublished draft (its records are not on-chain).'}),
    'text-field': Flags.string({description: 'Record field holding the text (default: text).'}),
    'label-field': Flags.string({description: 'Record field holding the label (default: label).'}),
    encoder: Flags.string({description: 'Frozen encoder: builtin (offline default), a local folder, or a Hugging Face id.'}),
    device: Flags.string({
      description: 'Execution device: auto tries cuda, then webgpu, then cpu.',
      options: [...DEVICES],
      env: 'OPENLEDGER_DEVICE',
    }),
    epochs: Flags.integer({description: 'num_train_epochs.', min: 1}),
    lr: Flags.string({description: 'learning_rate.'}),
    'batch-size': Flags.integer({description: 'per_device_train_batch_size.', min: 1}),
    'adapter-rank': Flags.integer({description: 'lora_rank: rank of the residual adapter.', min: 1}),
    'val-size': Flags.string({description: 'val_size: fraction of records held out for validation and early stopping.'}),
    seed: Flags.integer({description: 'seed (weights, split and batch order depend only on it).', min: 0}),
    'exclude-records': Flags.string({description: 'File with record hashes (one a line) to leave out of training.'}),
    config: Flags.string({
      description: 'Config file (default: ./openledger.config.json); its models[] entry (or "model" section) holds the same keys.',
    }),
    'model-name': Flags.string({description: "Which entry of the config's models list to train (needed when it has several)."}),
    out: Flags.string({description: 'Artifact folder (default: .openledger/models/<datanet>-v<version>-<hash>).'}),
    offline: Flags.boolean({description: 'Never contact the Hugging Face hub.', env: 'OPENLEDGER_OFFLINE'}),
    task: Flags.string({
      description:
        'classify (a text classifier) or generate (a LoRA adapter on a language model; records with "text", or "prompt" and "response").',
      options: ['classify', 'generate'],
    }),
    base: Flags.string({
      description: 'generate: base model folder in the Hugging Face Llama layout (default: the shipped openledger-base).',
    }),
    'lora-alpha': Flags.string({description: 'generate: lora_alpha.'}),
    'lora-dropout': Flags.string({description: 'generate: lora_dropout.'}),
    'lora-target': Flags.string({description: 'generate: lora_target, comma-separated projections (q_proj,v_proj by default) or all.'}),
    'cutoff-len': Flags.integer({description: 'generate: cutoff_len, tokens kept per record.', min: 1}),
    'gradient-accumulation-steps': Flags.integer({description: 'generate: gradient_accumulation_steps.', min: 1}),
    resume: Flags.boolean({description: 'generate: continue from the last epoch checkpoint of the same run.'}),
    ...quietFlag,
    gradients: Flags.boolean({
      description:
        "generate: store every record's LoRA gradients in the artifact, for attributing generated text (--no-gradients skips it).",
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<TrainResult> {
    // Messages about a flag's value name the flag (the model config itself speaks of its keys).
    const OVERRIDE_FLAGS = {
      learning_rate: '--lr',
      num_train_epochs: '--epochs',
      per_device_train_batch_size: '--batch-size',
      lora_rank: '--adapter-rank',
      val_size: '--val-size',
      seed: '--seed',
      text_field: '--text-field',
      label_field: '--label-field',
      encoder: '--encoder',
      device: '--device',
    } as const
    const {flags} = await this.parse(Train)
    const section = modelSection(flags.config ?? 'openledger.config.json', flags['model-name']).section
    if ((flags.task ?? section.task) === 'generate') return this.trainGenerate(flags, section)
    const num = (flag: string, v: string | undefined) => {
      if (v === undefined) return undefined
      const n = Number(v)
      if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(v)}`)
      return n
    }
    const overrides: Partial<ModelConfig> = {
      learning_rate: num('lr', flags.lr),
      num_train_epochs: flags.epochs,
      per_device_train_batch_size: flags['batch-size'],
      lora_rank: flags['adapter-rank'],
      val_size: num('val-size', flags['val-size']),
      seed: flags.seed,
      text_field: flags['text-field'],
      label_field: flags['label-field'],
      encoder: flags.encoder,
      device: flags.device as ModelConfig['device'] | undefined,
    }
    const config = resolveModelConfig({configFile: flags.config, modelName: flags['model-name'], overrides, overrideNames: OVERRIDE_FLAGS})
    const exclude = flags['exclude-records'] ? readExcludeFile(flags['exclude-records']) : []
    const datanet = flags.datanet ?? readDatanetFromConfig(flags.config, flags['model-name'])
    if (!datanet) throw new UsageError("--datanet is required (or set the model's datanet in openledger.config.json)")
    const source = await loadDatanetSource({name: datanet, version: flags.version, allowDraft: flags['allow-draft']})
    // A live listr2 view on a terminal; elsewhere a plain line every few seconds (none with --quiet).
    const progress = commandProgress({prefix: 'train', quiet: flags.quiet, json: this.jsonEnabled()})
    const train = (onProgress: Parameters<typeof trainModel>[0]['onProgress']) =>
      trainModel({source, config, out: flags.out, excludeRecords: exclude, allowRemote: flags.offline ? false : undefined, onProgress})
    const result = progress ? await train(trainProgressLines(progress)) : await withTrainProgress(true, train)
    const m = result.metrics
    this.log(
      `Trained on ${result.records.train} records (${result.records.val} validation) of ${source.name} v${source.version}, device ${result.device}`,
    )
    this.log(
      `Best epoch ${m.bestEpoch}/${m.epochs}: val accuracy ${m.valAccuracy === null ? 'n/a' : (m.valAccuracy * 100).toFixed(1) + '%'}, val loss ${m.valLoss?.toFixed(4) ?? 'n/a'}`,
    )
    this.log(`Artifact: ${result.artifact.path}`)
    // `artifact` is the folder's absolute path, as in `dev`; its config hash sits beside it, as there.
    const {artifact, ...rest} = result
    return {
      ...rest,
      artifact: artifact.path,
      configHash: artifact.configHash,
      datanet: {name: source.name, datanetId: source.datanetId, version: source.version, root: source.root},
    }
  }

  /** `--task generate`: a LoRA adapter on a Llama base, progress as plain lines on stderr. */
  private async trainGenerate(flags: Interfaces.InferredFlags<typeof Train.flags>, section: Record<string, unknown>): Promise<TrainResult> {
    // The engine (TensorFlow.js) loads only for --task generate: the classifier path starts as before.
    const [{trainLmArtifact}, {DEFAULT_HYPERPARAMETERS}, {LM_DEVICES}] = await Promise.all([
      import('../lm/artifact.js'),
      import('../lm/train.js'),
      import('../lm/device.js'),
    ])
    const {hyperparameters, base, device} = lmHyperparametersFrom(section, flags, DEFAULT_HYPERPARAMETERS, LM_DEVICES)
    const exclude = flags['exclude-records'] ? readExcludeFile(flags['exclude-records']) : []
    const datanet = flags.datanet ?? (typeof section.datanet === 'string' ? section.datanet : undefined)
    if (!datanet) throw new UsageError("--datanet is required (or set the model's datanet in openledger.config.json)")
    const source = await loadDatanetSource({name: datanet, version: flags.version, allowDraft: flags['allow-draft']})
    // On a terminal one line rewritten in place; elsewhere a plain line every few seconds (none with --quiet).
    const progress = commandProgress({prefix: 'train', quiet: flags.quiet, json: this.jsonEnabled()})
    const result = await trainLmArtifact({
      source,
      baseDir: base,
      hyperparameters,
      device,
      out: flags.out,
      resume: flags.resume,
      gradients: flags.gradients,
      excludeRecords: exclude,
      onDevice: (_d, text) => (progress ? progress.say(`device ${text}`) : process.stderr.write(`device ${text}\n`)),
      onProgress: progress ? lmProgressLines(progress) : lmProgressPrinter(process.stderr),
    })
    const m = result.metrics
    const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4))
    this.log(
      `Trained a LoRA adapter on ${result.records.train} records (${result.records.val} validation) of ${source.name} v${source.version}, device ${result.device}`,
    )
    this.log(
      `Best epoch ${m.bestEpoch}/${m.epochs.length}: val loss ${f(m.bestValLoss)} (base ${f(m.baseValLoss)}), ${Math.round(m.tokensPerSecond)} tokens/s`,
    )
    this.log(`Artifact: ${result.artifact.path}`)
    const {artifact, ...rest} = result
    return {
      task: 'generate',
      ...rest,
      artifact: artifact.path,
      configHash: artifact.configHash,
      datanet: {name: source.name, datanetId: source.datanetId, version: source.version, root: source.root},
    }
  }
}

function readDatanetFromConfig(configFile: string | undefined, modelName: string | undefined): string | undefined {
  const v = modelSection(configFile ?? 'openledger.config.json', modelName).section.datanet
  return typeof v === 'string' ? v : undefined
}

/**
 * A generate model's settings: defaults ← its openledger.config.json entry (LLaMA-Factory's keys,
 * `base`, `device`) ← flags. Each bad value is one line naming the key or the flag.
 */
export function lmHyperparametersFrom(
  section: Record<string, unknown>,
  flags: Interfaces.InferredFlags<typeof Train.flags>,
  DEFAULT_HYPERPARAMETERS: LmHyperparameters,
  LM_DEVICES: readonly string[],
): {hyperparameters: Partial<LmHyperparameters>; base?: string; device: LmDeviceRequest} {
  const LM_KEYS = new Set([...Object.keys(DEFAULT_HYPERPARAMETERS), 'base', 'device'])
  const h: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(section)) {
    if (k === 'datanet' || k === 'version' || k === 'name' || k === 'task') continue
    if (!LM_KEYS.has(k))
      throw new UsageError(`openledger.config.json: unknown key ${k} for a generate model (known: ${[...LM_KEYS].join(', ')})`)
    const want = k === 'base' || k === 'device' ? 'string' : typeof DEFAULT_HYPERPARAMETERS[k as keyof LmHyperparameters]
    if (typeof v !== want) throw new UsageError(`openledger.config.json: ${k} must be a ${want}, got ${JSON.stringify(v)}`)
    h[k] = v
  }
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined
    const n = Number(v)
    if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(v)}`)
    return n
  }
  const fromFlags: Record<string, unknown> = {
    learning_rate: num('lr', flags.lr),
    num_train_epochs: flags.epochs,
    per_device_train_batch_size: flags['batch-size'],
    gradient_accumulation_steps: flags['gradient-accumulation-steps'],
    lora_rank: flags['adapter-rank'],
    lora_alpha: num('lora-alpha', flags['lora-alpha']),
    lora_dropout: num('lora-dropout', flags['lora-dropout']),
    lora_target: flags['lora-target'],
    cutoff_len: flags['cutoff-len'],
    val_size: num('val-size', flags['val-size']),
    seed: flags.seed,
  }
  for (const [k, v] of Object.entries(fromFlags)) if (v !== undefined) h[k] = v
  const device = (flags.device ?? h.device ?? 'auto') as string
  if (!LM_DEVICES.includes(device)) throw new UsageError(`--device ${device}: a generate model runs on ${LM_DEVICES.join(', ')}`)
  const base = flags.base ?? (h.base as string | undefined)
  delete h.base
  delete h.device
  return {hyperparameters: h as Partial<LmHyperparameters>, base, device: device as LmDeviceRequest}
}
