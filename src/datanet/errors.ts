import {ExitCode, OpenledgerError, UsageError} from '../errors.js'

/**
 * A file given to `datanet add`/`contribute` is refused whole. The message is one line that names
 * the file and, where there is one, the line: `data/a.jsonl:3: not valid JSON (…)`.
 */
export class InvalidRecordFileError extends UsageError {
  override name = 'InvalidRecordFileError'
  readonly file: string
  readonly line?: number
  constructor(file: string, line: number | undefined, reason: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, {
      metaMessages: ['Nothing was added: fix the file and run the command again.'],
    })
    this.file = file
    this.line = line
  }
}

export class DatanetNotFoundError extends OpenledgerError {
  override name = 'DatanetNotFoundError'
  constructor(name: string, dir: string) {
    super('E_DATANET_NOT_FOUND', `no datanet named "${name}" in ${dir}`, {
      exitCode: ExitCode.state,
      metaMessages: [`Create it with \`openledger datanet create ${name}\`; \`openledger datanet list\` shows the ones there are.`],
    })
  }
}

export class DatanetExistsError extends OpenledgerError {
  override name = 'DatanetExistsError'
  constructor(name: string) {
    super('E_DATANET_EXISTS', `a datanet named "${name}" already exists`, {exitCode: ExitCode.usage})
  }
}

export class VersionNotFoundError extends OpenledgerError {
  override name = 'VersionNotFoundError'
  constructor(name: string, version: number | string, known: number[]) {
    super('E_VERSION_NOT_FOUND', `datanet "${name}" has no version ${version}`, {
      exitCode: ExitCode.state,
      metaMessages: [
        known.length
          ? `Published versions: ${known.join(', ')}.`
          : 'It has no published version yet: `openledger datanet publish` makes one.',
      ],
    })
  }
}

export class NothingToPublishError extends OpenledgerError {
  override name = 'NothingToPublishError'
  constructor(name: string) {
    super('E_NOTHING_TO_PUBLISH', `datanet "${name}" has no staged records to publish`, {
      exitCode: ExitCode.usage,
      metaMessages: [`Stage records with \`openledger datanet add ${name} <file>\`.`],
    })
  }
}

/** Local data disagrees with its root, its checksum or the chain: never silently repaired. */
export class DatanetIntegrityError extends OpenledgerError {
  override name = 'DatanetIntegrityError'
  constructor(message: string) {
    super('E_DATANET_INTEGRITY', message, {exitCode: ExitCode.failure})
  }
}

export class NotOnChainError extends OpenledgerError {
  override name = 'NotOnChainError'
  constructor(name: string) {
    super('E_DATANET_NOT_ON_CHAIN', `datanet "${name}" is not registered on-chain yet`, {exitCode: ExitCode.state})
  }
}
