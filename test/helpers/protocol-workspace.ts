import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'

import {type Protocol, startProtocol, writeProtocolDevnetState} from './contracts.js'
import {tempDir} from './env.js'
import {type Run, runCommand} from './run-command.js'

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..')

/**
 * Where in-process command tests run: every contract on a real anvil, a folder with a state folder
 * (`<dir>/.openledger`) whose devnet file points at that chain and which OPENLEDGER_STATE_DIR names
 * until `close()`, and the CLI's oclif config. Open it in beforeAll, close it in afterAll.
 */
export type ProtocolWorkspace = {
  p: Protocol
  config: Config
  dir: string
  stateDir: string
  run(command: {run(argv: string[], config: Config): Promise<unknown>}, argv: string[]): Promise<Run>
  /** Writes a file in `dir` and returns its path. */
  file(name: string, content: string): string
  close(): Promise<void>
}

export async function openProtocolWorkspace(prefix: string): Promise<ProtocolWorkspace> {
  const p = await startProtocol()
  const config = await Config.load({root: ROOT})
  const temp = tempDir(prefix)
  const stateDir = join(temp.dir, '.openledger')
  writeProtocolDevnetState(p, stateDir)
  const saved = process.env.OPENLEDGER_STATE_DIR
  process.env.OPENLEDGER_STATE_DIR = stateDir
  return {
    p,
    config,
    dir: temp.dir,
    stateDir,
    run: (command, argv) => runCommand(config, command, argv),
    file(name, content) {
      const path = join(temp.dir, name)
      writeFileSync(path, content)
      return path
    },
    async close() {
      if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
      else process.env.OPENLEDGER_STATE_DIR = saved
      temp.cleanup()
      await p.stop()
    },
  }
}
