import {BaseCommand} from '../cli/base-command.js'
import {type DoctorReport, runDoctor} from '../doctor/checks.js'
import {ExitCode} from '../errors.js'
import {dim, green, red} from '../ui/color.js'

export default class Doctor extends BaseCommand<DoctorReport> {
  static override description =
    `Check this machine: Node, the anvil binary, ONNX Runtime's backends (cpu, webgpu, cuda), the GPU, disk space and this folder's devnet.

Exits 1 when a required check fails. --json: the shape is schemas/commands/doctor.schema.json.`
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run(): Promise<DoctorReport> {
    await this.parse(Doctor)
    const report = await runDoctor()
    for (const c of report.checks) {
      const mark = c.ok ? green('ok  ', process.stdout) : red('FAIL', process.stdout)
      this.log(`${mark} ${c.name.padEnd(18)} ${c.detail}${c.hint ? dim(`  (${c.hint})`, process.stdout) : ''}`)
    }
    if (!report.ok) process.exitCode = ExitCode.failure
    return report
  }
}
