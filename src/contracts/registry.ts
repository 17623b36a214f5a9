import type {Address} from 'viem'

import {UsageError} from '../errors.js'
import {type ContractName, artifacts} from './artifacts/index.js'

export type ContractListEntry = {name: string; chain?: 'l1' | 'l2'; address?: Address}

export function contractNames(): ContractName[] {
  return Object.keys(artifacts).sort() as ContractName[]
}

export function isContractName(name: string): name is ContractName {
  return Object.hasOwn(artifacts, name)
}

/** The ABI of a contract by name; a clear error listing the names when it is unknown. */
export function contractAbi(name: string): readonly unknown[] {
  if (!isContractName(name)) throw new UsageError(`unknown contract "${name}"; known: ${contractNames().join(', ')}`)
  return artifacts[name].abi
}

export function listContracts(
  deployments: Array<{name: string; chain: 'l1' | 'l2'; address: Address}> = [],
  addresses: Record<string, Address> = {},
): ContractListEntry[] {
  return contractNames().map((name) => {
    const d = deployments.find((x) => x.name === name)
    return {name, ...(d ? {chain: d.chain} : {}), ...(addresses[name] ? {address: addresses[name]} : {})}
  })
}
