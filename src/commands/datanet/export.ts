import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type ExportResult, exportDatanet} from '../../datanet/index.js'

export default class DatanetExport extends BaseCommand<ExportResult> {
  static override description =
    `Export a version as JSONL, one {...fields, contributor} per line (the form \`datanet add\` reads: it re-imports to the same record hashes). Without --out the records go to stdout.
--json (with --out): the shape is schemas/commands/datanet-export.schema.json.`
  static override examples = ['<%= config.bin %> datanet export support-tickets --version 1 --out v1.jsonl']
  static override args = {name: Args.string({description: 'Datanet name', required: true})}
  static override flags = {
    version: Flags.string({description: 'Version number, latest or draft.'}),
    format: Flags.string({description: 'Output format.', options: ['jsonl'], default: 'jsonl'}),
    out: Flags.string({char: 'o', description: 'Write to this file (atomically) instead of stdout.'}),
  }

  async run(): Promise<ExportResult> {
    const {args, flags} = await this.parse(DatanetExport)
    // To stdout in chunks of about 1 MB: never the whole export as one string.
    let pending = ''
    const write =
      flags.out || this.jsonEnabled()
        ? undefined
        : (line: string) => {
            pending += line
            if (pending.length >= 1 << 20) {
              process.stdout.write(pending)
              pending = ''
            }
          }
    const {text: _, ...result} = await exportDatanet({name: args.name, version: flags.version, out: flags.out, write})
    if (pending) process.stdout.write(pending)
    if (flags.out) this.note(`Wrote ${result.records} records of ${result.name} version ${result.version} to ${flags.out}.`)
    return result
  }
}
