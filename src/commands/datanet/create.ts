import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {MODALITIES, type Modality, createDatanet, datanetChain, registerDatanet} from '../../datanet/index.js'

export type DatanetCreateResult = {
  name: string
  modality: Modality
  summary?: string
  description?: string
  tags: string[]
  /** Set with --onchain: the id DatanetRegistry gave. */
  datanetId?: string
  txHash?: string
}

export default class DatanetCreate extends BaseCommand<DatanetCreateResult> {
  static override description =
    'Create a datanet: a local draft in .openledger/datanets/<name>/. It is registered on-chain by its first `datanet publish`, or now with --onchain (needed before the public can contribute). --json: the shape is schemas/commands/datanet-create.schema.json.'
  static override examples = [
    '<%= config.bin %> datanet create support-tickets --summary "Customer support tickets" --tags support,billing',
    '<%= config.bin %> datanet create bird-calls --modality audio --onchain --json',
  ]
  static override args = {name: Args.string({description: 'Datanet name (letters, digits, ".", "_", "-")', required: true})}
  static override flags = {
    summary: Flags.string({description: 'One-line summary.'}),
    description: Flags.string({description: 'Longer description (markdown).'}),
    tags: Flags.string({description: 'Comma-separated tags.'}),
    modality: Flags.string({description: 'What the records are.', options: [...MODALITIES], default: 'text'}),
    onchain: Flags.boolean({description: 'Register it on-chain now (DatanetRegistry.createDatanet).'}),
    ...chainFlags,
  }

  async run(): Promise<DatanetCreateResult> {
    const {args, flags} = await this.parse(DatanetCreate)
    const m = await createDatanet({
      name: args.name,
      summary: flags.summary,
      description: flags.description,
      tags: flags.tags?.split(','),
      modality: flags.modality as Modality,
    })
    const result: DatanetCreateResult = {
      name: m.name,
      modality: m.modality,
      ...(m.summary ? {summary: m.summary} : {}),
      ...(m.description ? {description: m.description} : {}),
      tags: m.tags,
    }
    this.log(`Created datanet ${m.name} (${m.modality}).`)
    if (flags.onchain) {
      const r = await registerDatanet({name: m.name, chain: await datanetChain(chainSelection(flags))})
      Object.assign(result, {datanetId: r.datanetId, txHash: r.txHash})
      this.log(`Registered on-chain as datanet ${r.datanetId} (tx ${r.txHash}).`)
    } else {
      this.note(`Next: openledger datanet add ${m.name} <file|dir>…`)
    }
    return result
  }
}
