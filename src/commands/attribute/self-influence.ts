import {Flags} from '@oclif/core'
import {resolve} from 'node:path'

import {BaseCommand} from '../../cli/base-command.js'
import type {SelfInfluenceRecord} from '../../attribution/from-model.js'
import {isLmArtifact} from '../../lm/artifact-files.js'
import {type ProgressReporter, plainProgress, quietFlag, silentProgress} from '../../cli/progress.js'

/** A language-model adapter's records have no label: they carry their row in training.json instead. */
export type GenerativeSelfInfluenceRow = {
  recordHash: string
  contributor: string
  selfInfluence: number
  loss?: number
  inTraining: boolean
  index: number
}
export type SelfInfluenceResult =
  | {model: string; method: 'if' | 'tracin'; records: SelfInfluenceRecord[]}
  | {model: string; task: 'generate'; method: 'datainf' | 'tracin'; records: GenerativeSelfInfluenceRow[]}

export default class AttributeSelfInfluence extends BaseCommand<SelfInfluenceResult> {
  static override description =
    `Audit a model's data: the self-influence of every record of the datanet version it was trained on, highest first (mislabelled or harmful records rank high), the held-out validation split included.

For a language-model adapter (train --task generate) the records come from its stored per-record LoRA gradients (DataInf, or TracIn over its checkpoints); "if" means DataInf there.

--json: the shape is schemas/commands/attribute-self-influence.schema.json.`
  static override examples = [
    '<%= config.bin %> attribute self-influence --model .openledger/models/tickets --json',
    '<%= config.bin %> attribute self-influence --model ./model --method tracin --top-k 50',
  ]
  static override flags = {
    model: Flags.string({description: 'Model artifact folder (a classifier or a language-model adapter).', required: true}),
    method: Flags.string({
      description: 'if: estimated leave-one-out loss (exact head influence); tracin: TracIn self term.',
      options: ['if', 'tracin'],
      default: 'if',
    }),
    'top-k': Flags.integer({description: 'Records printed (--json lists them all).', default: 20, min: 1}),
    ...quietFlag,
  }

  async run(): Promise<SelfInfluenceResult> {
    const {flags} = await this.parse(AttributeSelfInfluence)
    const method = flags.method as 'if' | 'tracin'
    // Plain lines on stderr every few seconds while it works, on a terminal too (there is no live view); none with --quiet.
    const progress = flags.quiet ? silentProgress : plainProgress({prefix: 'self-influence'})
    if (isLmArtifact(flags.model)) return this.generative(flags.model, method, flags['top-k'], progress)
    const [{loadModel}, {loadModelAttribution, selfInfluenceRecords}] = await Promise.all([
      import('../../model/infer.js'),
      import('../../attribution/from-model.js'),
    ])
    const model = await loadModel(flags.model)
    try {
      let stop = progress.phase(`loading the training state of ${model.training.records.length.toLocaleString('en-US')} records`)
      const ma = await loadModelAttribution(model).finally(stop)
      stop = progress.phase(`scoring ${model.training.records.length.toLocaleString('en-US')} records (${method})`)
      const records = await selfInfluenceRecords(ma, method).finally(stop)
      for (const r of records.slice(0, flags['top-k']))
        this.log(
          `${r.selfInfluence.toExponential(3).padStart(11)}  ${r.label.padEnd(16)} ${r.inTraining ? 'train' : 'val  '}  ${r.recordHash}  ${r.contributor}`,
        )
      return {model: ma.modelId, method, records}
    } finally {
      await model.dispose()
    }
  }

  /** An adapter: every record's self-influence from lm-gradients.safetensors, highest first. */
  private async generative(dir: string, flag: 'if' | 'tracin', topK: number, progress: ProgressReporter): Promise<SelfInfluenceResult> {
    const method = flag === 'if' ? 'datainf' : 'tracin'
    const {adapterSelfInfluence} = await import('../../lm/artifact-attribution.js')
    const stop = progress.phase(`scoring the adapter's records from their stored gradients (${method})`)
    const {manifest, records} = await adapterSelfInfluence(dir, {method}).finally(stop)
    const rows = records.map((r) => ({
      recordHash: r.recordHash,
      contributor: r.contributor,
      selfInfluence: r.selfInfluence,
      ...(r.loss === undefined ? {} : {loss: r.loss}),
      inTraining: manifest.records[r.index].split === 'train',
      index: r.index,
    }))
    for (const r of rows.slice(0, topK))
      this.log(`${r.selfInfluence.toExponential(3).padStart(11)}  ${r.inTraining ? 'train' : 'val  '}  ${r.recordHash}  ${r.contributor}`)
    return {model: resolve(dir), task: 'generate', method, records: rows}
  }
}
