import {accessSync, constants} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {AnvilNotFoundError} from './errors.js'

const PLATFORM_PACKAGES: Record<string, string> = {
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
}

/**
 * The anvil executable: OPENLEDGER_ANVIL_BINARY, else the platform binary that @foundry-rs/anvil
 * installs as an optional dependency. We run the binary itself, not the package's node wrapper,
 * so that the pid we hold is anvil's and a signal reaches it directly.
 */
export function resolveAnvilBinary(): string {
  const override = process.env.OPENLEDGER_ANVIL_BINARY
  if (override) {
    assertExecutable(override)
    return override
  }
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`]
  if (!pkg) throw new AnvilNotFoundError(`no @foundry-rs/anvil build for ${process.platform}-${process.arch}`)
  const require = createRequire(import.meta.url)
  let dir: string
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`))
  } catch {
    throw new AnvilNotFoundError(`package ${pkg}`)
  }
  const bin = join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  assertExecutable(bin)
  return bin
}

function assertExecutable(path: string): void {
  try {
    accessSync(path, constants.X_OK)
  } catch {
    throw new AnvilNotFoundError(path)
  }
}
