/**
 * The one revert decoder: every contract call that fails (simulate, estimate or write) becomes one
 * OpenledgerError with a clear line. Contracts' own custom errors are explained by the caller's
 * `explain`; access control, missing funds and unknown reverts are handled here for every contract.
 */
import {type Address, BaseError, ContractFunctionRevertedError, keccak256, toHex} from 'viem'

import {ExitCode, OpenledgerError, type OpenledgerErrorOptions, messageOf} from '../errors.js'

/** The decoded custom error a contract call reverted with. */
export type DecodedRevert = {errorName: string; args: readonly unknown[]}

/** Maps a contract's custom errors to clear messages; undefined falls back to the generic line. */
export type ExplainRevert = (revert: DecodedRevert) => OpenledgerError | undefined

/** Finds the decoded revert inside a viem error (simulate, estimate or write), if there is one. */
export function decodeRevert(err: unknown): DecodedRevert | undefined {
  if (!(err instanceof BaseError)) return undefined
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError)
  if (!(reverted instanceof ContractFunctionRevertedError) || !reverted.data) return undefined
  return {errorName: reverted.data.errorName, args: reverted.data.args ?? []}
}

/** The caller lacks an AccessControl role (or is not the owner) for what it asked. */
export class NotAuthorizedError extends OpenledgerError {
  override name = 'NotAuthorizedError'
  constructor(message: string, cause?: unknown) {
    super('E_NOT_AUTHORIZED', message, {cause, exitCode: ExitCode.failure})
  }
}

/** The contract refused the call for a reason of the protocol's own (cooldown, nothing to claim, …). */
export class ProtocolError extends OpenledgerError {
  override name = 'ProtocolError'
  constructor(code: string, message: string, options: Pick<OpenledgerErrorOptions, 'cause' | 'metaMessages'> = {}) {
    super(code, message, {...options, exitCode: ExitCode.failure})
  }
}

const ROLE_NAMES = ['SLASHER_ROLE', 'GOVERNANCE_ROLE', 'RELAYER_ROLE']
const ROLE_BY_HASH = new Map<string, string>([
  [`0x${'0'.repeat(64)}`, 'DEFAULT_ADMIN_ROLE'],
  ...ROLE_NAMES.map((n) => [keccak256(toHex(n)), n] as [string, string]),
])

/** A role's name from its bytes32 id ("SLASHER_ROLE"), or the id itself when unknown. */
export function roleName(role: string): string {
  return ROLE_BY_HASH.get(role.toLowerCase()) ?? role
}

export type RevertContext = {contract: string; functionName: string; account?: Address}

/** Turns a failed contract call into one clear line (see the module comment). */
export function toChainError(err: unknown, ctx: RevertContext, explain: ExplainRevert = () => undefined): OpenledgerError {
  if (err instanceof OpenledgerError) return err
  const call = `${ctx.contract}.${ctx.functionName}`
  const revert = decodeRevert(err)
  if (revert) {
    if (revert.errorName === 'AccessControlUnauthorizedAccount') {
      const [account, role] = revert.args as [Address, string]
      return new NotAuthorizedError(`account ${account} lacks ${roleName(role)} on ${ctx.contract}`, err)
    }
    const explained = explain(revert)
    if (explained) return explained
    const args = revert.args.map((a) => String(a)).join(', ')
    return new ProtocolError('E_REVERTED', `${call} reverted with ${revert.errorName}(${args})`, {cause: err})
  }
  if (err instanceof BaseError && err.walk((e) => (e as Error).name === 'InsufficientFundsError')) {
    return new ProtocolError('E_INSUFFICIENT_FUNDS', `account ${ctx.account} cannot pay for ${call} (value plus gas)`, {cause: err})
  }
  return new OpenledgerError('E_CHAIN', `${call} failed: ${messageOf(err)}`, {cause: err, exitCode: ExitCode.failure})
}
