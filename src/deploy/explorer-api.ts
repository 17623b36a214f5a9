/**
 * The three calls of the Etherscan-compatible contract API that Blockscout serves at <explorer>/api:
 * getsourcecode (is it verified?), verifysourcecode (submit standard JSON; answers a job id) and
 * checkverifystatus (poll that job). Answers are {status: "1"|"0", message, result}.
 */
import type {Address} from 'viem'

import {VerificationFailedError} from './errors.js'

export type ExplorerApi = {url: string; apiKey?: string}

type ApiAnswer<T> = {status?: string; message?: string; result?: T}

/** The API endpoint of an explorer: its /api path, added unless the URL already ends with it. */
export function explorerApiUrl(explorerUrl: string): string {
  const u = new URL(explorerUrl)
  if (!/\/api\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/$/, '')}/api`
  return u.toString()
}

async function call<T>(api: ExplorerApi, params: Record<string, string>, method: 'GET' | 'POST'): Promise<ApiAnswer<T>> {
  const all = {...params, ...(api.apiKey ? {apikey: api.apiKey} : {})}
  const body = new URLSearchParams(all)
  let res: Response
  try {
    res =
      method === 'GET'
        ? await fetch(`${api.url}?${body}`)
        : await fetch(api.url, {method: 'POST', body, headers: {'content-type': 'application/x-www-form-urlencoded'}})
  } catch (err) {
    throw new VerificationFailedError(`the explorer API ${api.url} does not answer (${(err as Error).message})`, {cause: err})
  }
  const text = await res.text()
  try {
    return JSON.parse(text) as ApiAnswer<T>
  } catch {
    throw new VerificationFailedError(`the explorer API ${api.url} answered HTTP ${res.status} with something that is not JSON`, {
      details: text.slice(0, 200),
    })
  }
}

/** Whether the explorer already has verified source code for the address. */
export async function isVerified(api: ExplorerApi, address: Address): Promise<boolean> {
  const a = await call<Array<{SourceCode?: string}>>(api, {module: 'contract', action: 'getsourcecode', address}, 'GET')
  const first = Array.isArray(a.result) ? a.result[0] : undefined
  return a.status === '1' && typeof first?.SourceCode === 'string' && first.SourceCode !== ''
}

export type Submission = {
  address: Address
  /** "Source.sol:Contract" */
  contractName: string
  /** Etherscan's form: "v0.8.37+commit.f401782d". */
  compilerVersion: string
  standardJson: string
  /** ABI-encoded constructor arguments, hex without 0x. */
  constructorArguments: string
}

/** Submits a contract; the job id to poll, or `already` when the explorer says it is verified. */
export async function submitVerification(api: ExplorerApi, s: Submission): Promise<{guid: string} | {already: true}> {
  const a = await call<string>(
    api,
    {
      module: 'contract',
      action: 'verifysourcecode',
      codeformat: 'solidity-standard-json-input',
      contractaddress: s.address,
      contractname: s.contractName,
      compilerversion: s.compilerVersion,
      sourceCode: s.standardJson,
      // Etherscan's spelling, which Blockscout keeps for compatibility.
      constructorArguements: s.constructorArguments,
    },
    'POST',
  )
  if (a.status === '1' && typeof a.result === 'string') return {guid: a.result}
  if (/already verified/i.test(`${a.result} ${a.message}`)) return {already: true}
  throw new VerificationFailedError(`the explorer refused ${s.contractName} at ${s.address}: ${a.result ?? a.message ?? 'no reason given'}`)
}

export type VerifyStatus = {state: 'pending'} | {state: 'verified'} | {state: 'failed'; reason: string}

export async function checkVerification(api: ExplorerApi, guid: string): Promise<VerifyStatus> {
  const a = await call<string>(api, {module: 'contract', action: 'checkverifystatus', guid}, 'GET')
  const result = String(a.result ?? a.message ?? '')
  if (/pending|in queue/i.test(result)) return {state: 'pending'}
  if (/^pass|already verified/i.test(result)) return {state: 'verified'}
  return {state: 'failed', reason: result || 'no reason given'}
}
