import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {signerAddress} from '../../chain/context.js'
import {accountFlag, addressFlag} from '../../cli/flags.js'
import {type AddResult, type RecordStream, STREAM_FORMATS, type StreamFormat, addToDatanet} from '../../datanet/index.js'
import {UsageError} from '../../errors.js'
import {addProgressLines, commandProgress, quietFlag} from '../../cli/progress.js'

export type DatanetAddResult = AddResult & {contributor: string}

export default class DatanetAdd extends BaseCommand<DatanetAddResult> {
  static override description =
    `Validate, hash and stage records from files or folders (.jsonl, .csv, .txt, .md; image and audio datanets also take their media files), or from stdin ("-": JSONL or CSV, by --format or sniffed).
Every file is checked before anything is staged: one bad file (invalid JSON or UTF-8, a CSV row with the wrong number of fields, a missing text field, a bad contributor address, over 5 MB) refuses the whole add, naming file and line, and the datanet stays as it was. Records already in the datanet are counted as duplicates and not added again.
A field the datanet's records never had (a misspelt "lable") is accepted with one warning per field, naming where it first appears and the field it resembles; --strict-fields refuses it instead. The first add to a datanet sets its fields.
A row's own "contributor" field wins over --contributor, which wins over the signing account (OPENLEDGER_PRIVATE_KEY, else OPENLEDGER_KEYSTORE, else dev account --account, default 0): the account that later publishes or contributes.
--json: the shape is schemas/commands/datanet-add.schema.json.`
  static override examples = [
    '<%= config.bin %> datanet add support-tickets data/tickets.jsonl',
    '<%= config.bin %> datanet add support-tickets data/ --contributor 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json',
    '<%= config.bin %> datanet add support-tickets tickets.csv --text-field body --strict-fields',
    "jq -c '.[]' tickets.json | <%= config.bin %> datanet add support-tickets -",
  ]
  static override strict = false
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    path: Args.string({description: 'Files or folders (folders are read recursively); "-" reads stdin', required: true}),
  }
  static override flags = {
    contributor: addressFlag({description: 'Contributor of rows that name none (an address).'}),
    'text-field': Flags.string({description: 'The field (or CSV column) holding the text; stored as "text".', default: 'text'}),
    'strict-fields': Flags.boolean({description: "Refuse records with a field the datanet's records never had (default: warn)."}),
    format: Flags.option({
      description: 'Format of the records on stdin ("-"); default: sniffed (JSONL when it starts with "{").',
      options: STREAM_FORMATS,
    })(),
    account: accountFlag({description: 'Dev account whose address is the default contributor.', env: 'OPENLEDGER_ACCOUNT'}),
    ...quietFlag,
  }

  async run(): Promise<DatanetAddResult> {
    const {args, argv, flags} = await this.parse(DatanetAdd)
    const given = (argv as string[]).slice(1)
    if (given.filter((p) => p === '-').length > 1) throw new UsageError('"-" (stdin) can be given once')
    if (flags.format && !given.includes('-')) throw new UsageError('--format is for records read from stdin ("-")')
    const contributor = flags.contributor ?? (await signerAddress({account: flags.account}))
    const paths: Array<string | RecordStream> = []
    for (const p of given) paths.push(p === '-' ? await stdinStream(flags.format) : p)
    const progress = commandProgress({prefix: 'datanet add', quiet: flags.quiet, json: this.jsonEnabled()})
    const r = await addToDatanet({
      name: args.name,
      paths,
      contributor,
      textField: flags['text-field'],
      strictFields: flags['strict-fields'],
      onProgress: addProgressLines(progress),
    })
    for (const f of r.newFields) {
      this.note(
        `warning: ${f.file}:${f.line}: field ${JSON.stringify(f.field)} is new to ${r.name}${f.suggestion ? ` (did you mean ${JSON.stringify(f.suggestion)}?)` : ''}; --strict-fields refuses new fields`,
      )
    }
    for (const f of r.files) {
      const what = f.added === 0 && f.records > 0 ? (f.alreadyAdded ? 'already added: nothing new' : 'nothing new') : `${f.added} added`
      this.log(
        `${f.file === '-' ? 'stdin' : f.file}: ${f.records} record${f.records === 1 ? '' : 's'}, ${what}${f.duplicates && f.added ? `, ${f.duplicates} duplicate${f.duplicates === 1 ? '' : 's'}` : ''}`,
      )
    }
    for (const s of r.skipped) this.note(`skipped ${s} (not a type this datanet takes)`)
    this.log(
      r.added === 0
        ? `Nothing added to ${r.name}: all ${r.duplicates} records are already in it.`
        : `Added ${r.added} record${r.added === 1 ? '' : 's'} to ${r.name} (${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}); ${r.staged} staged for the next version.`,
    )
    return {...r, contributor}
  }
}

/** All of stdin, as the records of the file "-". A terminal is refused: the add would wait for typing. */
async function stdinStream(format: StreamFormat | undefined): Promise<RecordStream> {
  if (process.stdin.isTTY) {
    throw new UsageError(
      '"-" reads records from stdin, but stdin is a terminal: pipe them in (cat data.jsonl | openledger datanet add <name> -)',
    )
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return {name: '-', bytes: Buffer.concat(chunks), ...(format ? {format} : {})}
}
