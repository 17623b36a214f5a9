import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {yesFlag} from '../cli/flags.js'
import {UsageError} from '../errors.js'
import {
  PROJECT_NAME,
  type TemplateInfo,
  checkProjectName,
  defaultProjectName,
  folderState,
  listTemplates,
  planScaffold,
  scaffoldProject,
} from '../init/index.js'
import {dim} from '../ui/color.js'

export type InitResult = {dir: string; template: string; name: string; files: string[]}

export default class Init extends BaseCommand<InitResult | TemplateInfo[]> {
  static override description = `Start a project from a template: openledger.config.json, sample data, a README and a CI workflow.
On a terminal a short wizard asks for the template and the name; with --yes, --json or no TTY on stdin it never asks (flags, then defaults: the first template, the folder's name). A non-empty folder is refused unless --force; files are staged beside it and moved into place once all are written.
--json: the shape is schemas/commands/init.schema.json.`
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init my-app --template text-classifier',
    '<%= config.bin %> init --list --json',
    '<%= config.bin %> init . --template paid-agent --name inbox-agent --force --yes',
  ]
  static override args = {dir: Args.string({description: 'Folder to create (default: the project name).'})}
  static override flags = {
    template: Flags.string({char: 't', description: 'Template to start from (`--list` shows them).'}),
    name: Flags.string({description: 'Project name (default: the folder name).'}),
    force: Flags.boolean({
      description: "Write into a non-empty folder (the template's files replace same-named ones; nothing else is touched).",
    }),
    list: Flags.boolean({description: 'List the templates and exit.'}),
    ...yesFlag,
  }

  async run(): Promise<InitResult | TemplateInfo[]> {
    const {args, flags} = await this.parse(Init)
    const templates = listTemplates()
    if (flags.list) {
      for (const t of templates) this.log(`${t.name.padEnd(20)} ${dim(t.description, process.stdout)}`)
      return templates
    }
    if (templates.length === 0) throw new UsageError('no templates found in this installation of openledger')
    if (flags.template !== undefined && !templates.some((t) => t.name === flags.template)) {
      throw new UsageError(`--template ${flags.template}: no such template (${templates.map((t) => t.name).join(', ')})`)
    }
    if (flags.name !== undefined) checkProjectName(flags.name, '--name')
    if (args.dir !== undefined) this.refuseNonEmpty(args.dir, flags.force)

    let template = flags.template
    let name = flags.name
    if (this.canPrompt(flags.yes) && process.stdout.isTTY) {
      const {runInitWizard} = await import('../ui/init-wizard.js')
      const answers = await runInitWizard({
        templates,
        initialTemplate: template,
        dir: args.dir,
        initialName: (t) => name ?? (args.dir ? defaultProjectName(args.dir) : t),
        validateName: (n) =>
          PROJECT_NAME.test(n) ? undefined : 'use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
        preview: (t, n) => planScaffold(t, n).map((f) => f.path),
      })
      if (!answers) {
        this.note('Cancelled: nothing was written.')
        return this.exit(130)
      }
      template = answers.template
      name = answers.name
    }
    template ??= templates[0].name
    const dir = args.dir ?? name ?? template
    if (args.dir === undefined) this.refuseNonEmpty(dir, flags.force)
    const r = scaffoldProject({dir, template, name: name ?? defaultProjectName(dir), force: flags.force})
    this.log(`Created ${r.name} from the ${template} template in ${dir} (${r.files.length} files).`)
    this.log('')
    this.log('Next:')
    if (dir !== '.') this.log(`  cd ${dir}`)
    // The openledger that ran init (on PATH): it is not on the npm registry, so no `npm install`/`npx`.
    this.log(`  ${this.config.bin} dev          # devnet, datanets, training, publishing; then serves and watches`)
    this.log(dim("See README.md for the template's own steps.", process.stdout))
    return r
  }

  private refuseNonEmpty(dir: string, force: boolean): void {
    if (!force && folderState(dir) === 'non-empty') {
      throw new UsageError(`${dir} is not empty: choose another folder, or pass --force to write the template's files into it`)
    }
  }
}
