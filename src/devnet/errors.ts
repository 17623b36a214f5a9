import {ExitCode, OpenledgerError} from '../errors.js'

export class AnvilNotFoundError extends OpenledgerError {
  override name = 'AnvilNotFoundError'
  constructor(tried: string) {
    super('E_ANVIL_NOT_FOUND', `anvil binary not found (looked for ${tried})`, {
      exitCode: ExitCode.state,
      metaMessages: [
        'Reinstall with `npm ci` (the binary comes from @foundry-rs/anvil), or point OPENLEDGER_ANVIL_BINARY at an anvil executable.',
      ],
    })
  }
}

export class PortInUseError extends OpenledgerError {
  override name = 'PortInUseError'
  constructor(flag: string, port: number) {
    super('E_PORT_IN_USE', `port ${port} is already in use (${flag})`, {
      exitCode: ExitCode.usage,
      metaMessages: [`Stop what listens there, or pass another ${flag}; \`openledger devnet status\` shows a devnet of this folder.`],
    })
  }
}

export class AnvilStartError extends OpenledgerError {
  override name = 'AnvilStartError'
  constructor(label: string, reason: string, lastLines: string[]) {
    super('E_ANVIL_START', `${label} anvil failed to start: ${reason}`, {
      details: lastLines.length ? `last output:\n${lastLines.join('\n')}` : undefined,
    })
  }
}

export class DevnetNotRunningError extends OpenledgerError {
  override name = 'DevnetNotRunningError'
  constructor(stateFile: string) {
    super('E_DEVNET_NOT_RUNNING', `no devnet is running for this folder (${stateFile})`, {
      exitCode: ExitCode.state,
      metaMessages: ['Start one with `openledger devnet start --detach`.'],
    })
  }
}

export class DevnetAlreadyRunningError extends OpenledgerError {
  override name = 'DevnetAlreadyRunningError'
  constructor(pid: number, l2RpcUrl: string) {
    super('E_DEVNET_RUNNING', `a devnet is already running for this folder (pid ${pid}, L2 ${l2RpcUrl})`, {
      exitCode: ExitCode.state,
      metaMessages: ['Use it as it is, or `openledger devnet stop` first.'],
    })
  }
}
