import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import type {TraceMethod, TraceOutputResult} from '../../attribution/datanet-trace.js'

export default class AttributeSpans extends BaseCommand<TraceOutputResult> {
  static override description =
    `Trace a text output back to the datanet records it repeats: verbatim spans found through the version's suffix array (built once per version, then read by position), paraphrases by the encoder's vectors (--method embedding), or both rankings fused (--method hybrid).

--json: the shape is schemas/commands/attribute-spans.schema.json.
For the attribution of a model's prediction, use \`infer --attribute\`.`
  static override examples = [
    '<%= config.bin %> attribute spans --datanet support-tickets --text "…model output…" --json',
    '<%= config.bin %> attribute spans --datanet support-tickets --text "…" --method hybrid',
  ]
  static override flags = {
    datanet: Flags.string({description: 'Datanet to trace --text against.', required: true}),
    version: Flags.integer({description: 'Datanet version (default: the latest).', min: 1}),
    text: Flags.string({description: 'The output text to trace.', required: true}),
    method: Flags.string({
      description: 'spans (verbatim), embedding (paraphrase) or hybrid (both, rank-fused).',
      options: ['spans', 'embedding', 'hybrid'],
      default: 'spans',
    }),
    'top-k': Flags.integer({description: 'Records listed.', default: 20, min: 1}),
    'text-field': Flags.string({description: 'Record field holding the text (default: text).'}),
    'allow-draft': Flags.boolean({description: 'Trace against the unpublished draft.'}),
  }

  async run(): Promise<TraceOutputResult> {
    const {flags} = await this.parse(AttributeSpans)
    const {traceOutput} = await import('../../attribution/datanet-trace.js')
    const result = await traceOutput({
      datanet: flags.datanet,
      version: flags.version,
      text: flags.text,
      method: flags.method as TraceMethod,
      topK: flags['top-k'],
      textField: flags['text-field'],
      allowDraft: flags['allow-draft'],
    })
    for (const s of result.spans) this.log(`"${s.text}" (${s.words} words, in ${s.count} place(s))`)
    for (const r of result.records) this.log(`${r.score.toFixed(4).padStart(9)}  ${r.recordHash}  ${r.contributor}`)
    return result
  }
}
