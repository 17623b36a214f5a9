import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import type {SelfInfluenceRecord} from '../../attribution/from-model.js'

export type SelfInfluenceResult = {model: string; method: 'if' | 'tracin'; records: SelfInfluenceRecord[]}

export default class AttributeSelfInfluence extends BaseCommand<SelfInfluenceResult> {
  static override description = `Audit a model's data: the self-influence of every record of the datanet version it was trained on, highest first (mislabelled or harmful records rank high), the held-out validation split included.

--json: the shape is schemas/commands/attribute-self-influence.schema.json.`
  static override examples = [
    '<%= config.bin %> attribute self-influence --model .openledger/models/tickets --json',
    '<%= config.bin %> attribute self-influence --model ./model --method tracin --top-k 50',
  ]
  static override flags = {
    model: Flags.string({description: 'Model artifact folder.', required: true}),
    method: Flags.string({description: 'if: estimated leave-one-out loss (exact head influence); tracin: TracIn self term.', options: ['if', 'tracin'], default: 'if'}),
    'top-k': Flags.integer({description: 'Records printed (--json lists them all).', default: 20, min: 1}),
  }

  async run(): Promise<SelfInfluenceResult> {
    const {flags} = await this.parse(AttributeSelfInfluence)
    const method = flags.method as 'if' | 'tracin'
    const [{loadModel}, {loadModelAttribution, selfInfluenceRecords}] = await Promise.all([import('../../model/infer.js'), import('../../attribution/from-model.js')])
    const model = await loadModel(flags.model)
    try {
      const ma = await loadModelAttribution(model)
      const records = await selfInfluenceRecords(ma, method)
      for (const r of records.slice(0, flags['top-k'])) this.log(`${r.selfInfluence.toExponential(3).padStart(11)}  ${r.label.padEnd(16)} ${r.inTraining ? 'train' : 'val  '}  ${r.recordHash}  ${r.contributor}`)
      return {model: ma.modelId, method, records}
    } finally {
      await model.dispose()
    }
  }
}
