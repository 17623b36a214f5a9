import {BaseCommand} from '../cli/base-command.js'

export type VersionResult = {name: string; version: string; node: string; platform: string; arch: string}

export default class Version extends BaseCommand<VersionResult> {
  static override description =
    `Print the version of openledger, with the Node.js version and platform it runs on (also \`-v\` and \`--version\`).

--json: the shape is schemas/commands/version.schema.json.`
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']

  async run(): Promise<VersionResult> {
    await this.parse(Version)
    const result = {
      name: this.config.name,
      version: this.config.version,
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
    }
    // The same line as `-v`: oclif's user agent.
    this.log(this.config.userAgent)
    return result
  }
}
