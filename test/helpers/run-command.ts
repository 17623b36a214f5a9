import type {Config} from '@oclif/core'

export type Run = {stdout: string; stderr: string; exitCode: number; json: any}

/**
 * Runs a command class in-process through oclif with `argv`, capturing stdout, stderr and the exit
 * code (the process's own exit code is restored). `json` is stdout parsed, when it is JSON.
 */
export async function runCommand(
  config: Config,
  command: {run(argv: string[], config: Config): Promise<unknown>},
  argv: string[],
): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const writeOut = process.stdout.write.bind(process.stdout)
  const writeErr = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(chunk.toString()) > 0) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(chunk.toString()) > 0) as typeof process.stderr.write
  // oclif's this.log may go through console.log, which vitest intercepts: capture it too.
  const consoleLog = console.log
  console.log = (...parts: unknown[]) => void out.push(parts.map(String).join(' ') + '\n')
  const savedExitCode = process.exitCode
  process.exitCode = 0
  try {
    await command.run(argv, config)
  } finally {
    process.stdout.write = writeOut
    process.stderr.write = writeErr
    console.log = consoleLog
  }
  const exitCode = Number(process.exitCode ?? 0)
  process.exitCode = savedExitCode
  const stdout = out.join('')
  let json: unknown
  try {
    json = JSON.parse(stdout)
  } catch {}
  return {stdout, stderr: err.join(''), exitCode, json}
}
