import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {UsageError} from '../../errors.js'
import type {SelfInfluenceRecord} from '../../attribution/from-model.js'
import type {TraceOutputResult} from '../../attribution/datanet-trace.js'

type SelfInfluenceResult = {model: string; method: 'if' | 'tracin'; records: SelfInfluenceRecord[]}
type AttributeResult = SelfInfluenceResult | TraceOutputResult

export default class Attribute extends BaseCommand<AttributeResult> {
  static override description = `Attribute outputs to datanet records: audit a model's training data, or trace a text output back to the records it repeats.

--model <m> --self-influence: every training record's self-influence, highest first (mislabelled or harmful records rank high).
  --json: {"model","method","records":[{"recordHash","contributor","label","selfInfluence"}]}
--datanet <name> --text "<output>" --spans: verbatim spans of the output found in the datanet (suffix array, built once per version), and the records they come from; --method embedding finds paraphrases by the encoder's vectors, hybrid fuses both rankings.
  --json: {"datanet","version","method","spans":[{"text","start","end","words","count","records":[…]}],"records":[{"recordHash","contributor","score"}],"index":{"path","built"}}
For the attribution of a model's prediction, use \`infer --attribute\`.`
  static override examples = [
    '<%= config.bin %> attribute --model .openledger/models/tickets --self-influence --json',
    '<%= config.bin %> attribute --datanet support-tickets --text "…model output…" --spans --json',
    '<%= config.bin %> attribute --datanet support-tickets --text "…" --spans --method hybrid',
  ]
  static override flags = {
    model: Flags.string({description: 'Model artifact folder (for --self-influence).'}),
    'self-influence': Flags.boolean({description: 'Self-influence of every training record of --model.', dependsOn: ['model']}),
    datanet: Flags.string({description: 'Datanet to trace --text against (with --spans).'}),
    version: Flags.integer({description: 'Datanet version (default: the latest).', min: 1, dependsOn: ['datanet']}),
    text: Flags.string({description: 'The output text to trace.'}),
    spans: Flags.boolean({description: 'Trace --text to --datanet records.', dependsOn: ['datanet', 'text']}),
    method: Flags.string({description: 'if|tracin for --self-influence; spans|embedding|hybrid for --spans.', options: ['if', 'tracin', 'spans', 'embedding', 'hybrid']}),
    'top-k': Flags.integer({description: 'Records listed.', default: 20, min: 1}),
    'text-field': Flags.string({description: 'Record field holding the text (default: text).'}),
    'allow-draft': Flags.boolean({description: 'Trace against the unpublished draft of --datanet.'}),
  }

  async run(): Promise<AttributeResult> {
    const {flags} = await this.parse(Attribute)
    if (flags['self-influence']) {
      const method = (flags.method ?? 'if') as 'if' | 'tracin'
      if (method !== 'if' && method !== 'tracin') throw new UsageError(`--method ${flags.method} does not apply to --self-influence (use if or tracin)`)
      const [{loadModel}, {loadModelAttribution, selfInfluenceRecords}] = await Promise.all([
        import('../../model/infer.js'),
        import('../../attribution/from-model.js'),
      ])
      const model = await loadModel(flags.model!)
      try {
        const ma = await loadModelAttribution(model)
        const records = selfInfluenceRecords(ma, method)
        for (const r of records.slice(0, flags['top-k'])) this.log(`${r.selfInfluence.toExponential(3).padStart(11)}  ${r.label.padEnd(16)} ${r.recordHash}  ${r.contributor}`)
        return {model: ma.modelId, method, records}
      } finally {
        await model.dispose()
      }
    }
    if (flags.spans) {
      const method = (flags.method ?? 'spans') as 'spans' | 'embedding' | 'hybrid'
      if (!['spans', 'embedding', 'hybrid'].includes(method)) throw new UsageError(`--method ${flags.method} does not apply to --spans (use spans, embedding or hybrid)`)
      const {traceOutput} = await import('../../attribution/datanet-trace.js')
      const result = await traceOutput({datanet: flags.datanet!, version: flags.version, text: flags.text!, method, topK: flags['top-k'], textField: flags['text-field'], allowDraft: flags['allow-draft']})
      for (const s of result.spans) this.log(`"${s.text}" (${s.words} words, in ${s.count} place(s))`)
      for (const r of result.records) this.log(`${r.score.toFixed(4).padStart(9)}  ${r.recordHash}  ${r.contributor}`)
      return result
    }
    throw new UsageError('say what to attribute: --model <m> --self-influence, or --datanet <name> --text "…" --spans (predictions: `infer --attribute`)')
  }
}
