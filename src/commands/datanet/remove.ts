import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type RemoveResult, removeRecords} from '../../datanet/index.js'
import {UsageError} from '../../errors.js'

const SHOWN = 10

export default class DatanetRemove extends BaseCommand<RemoveResult> {
  static override description =
    `Remove staged records from the draft: by record hash, or every record a file holds (--file, read as \`datanet add\` reads it).
Only staged records can go (a published version never changes). Every record named must be staged, or nothing is removed and the first that is not is named (with its file and line). \`datanet unstage\` undoes one file's add instead.
--json: the shape is schemas/commands/datanet-remove.schema.json.`
  static override examples = [
    '<%= config.bin %> datanet remove support-tickets 0x9c2f6a41d1e0b7c3a58e4f2d6b1a0c9e8d7f6e5a4b3c2d1e0f9a8b7c6d5e4f3a',
    '<%= config.bin %> datanet remove support-tickets --file bad-rows.jsonl --json',
  ]
  static override strict = false
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    recordHash: Args.string({description: 'Record hashes to remove (0x and 64 hex digits)'}),
  }
  static override flags = {
    file: Flags.string({description: 'Remove the records this file holds (.jsonl, .csv, .txt, .md, or a folder of them).', multiple: true}),
    'text-field': Flags.string({description: 'The field (or CSV column) holding the text, as given to `datanet add`.', default: 'text'}),
  }

  async run(): Promise<RemoveResult> {
    const {args, argv, flags} = await this.parse(DatanetRemove)
    const hashes = (argv as string[]).slice(1)
    if (hashes.length === 0 && !flags.file?.length) {
      throw new UsageError(
        `name the records to remove: record hashes, or --file <path> (\`${this.config.bin} datanet records ${args.name} --version draft\` lists them)`,
      )
    }
    const r = await removeRecords({name: args.name, recordHashes: hashes, files: flags.file, textField: flags['text-field']})
    // A few lines name what went; --json lists every one.
    for (const x of r.removed.slice(0, SHOWN)) this.log(`- ${x.recordHash} ${x.contributor}`)
    if (r.removed.length > SHOWN) this.log(`  … and ${r.removed.length - SHOWN} more (--json lists them all)`)
    this.log(
      `Removed ${r.removed.length} record${r.removed.length === 1 ? '' : 's'} from ${r.name}'s draft; ${r.staged} staged for the next version.`,
    )
    return r
  }
}
