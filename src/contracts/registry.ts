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

/**
 * The OP Stack contracts the devnet runs (from @eth-optimism/contracts-bedrock, src/contracts/bedrock).
 * Named here so `contracts list` need not load their 200 KB of ABI and bytecode to start;
 * test/contracts/bedrock-artifacts.test.ts checks the list against that module.
 */
export const BEDROCK_CONTRACT_NAMES = [
  'L1Block',
  'L2OutputOracle',
  'L2ToL1MessagePasser',
  'OptimismPortal',
  'Proxy',
  'ProxyAdmin',
  'SuperchainConfig',
  'SystemConfig',
] as const

/** The ABI of a protocol or OP Stack contract by name; a clear error listing the names when it is unknown. */
export async function contractAbi(name: string): Promise<readonly unknown[]> {
  if (isContractName(name)) return artifacts[name].abi
  if ((BEDROCK_CONTRACT_NAMES as readonly string[]).includes(name)) {
    const bedrock = (await import('./bedrock/index.js')) as unknown as Record<string, {abi: readonly unknown[]}>
    return bedrock[name].abi
  }
  throw new UsageError(`unknown contract "${name}"; known: ${[...contractNames(), ...BEDROCK_CONTRACT_NAMES].join(', ')}`)
}

/**
 * The protocol contracts, deployed or not, then every other contract the deployment lists (on the
 * devnet: OP Stack's portal, oracle, system config and predeploys), each with its chain and address.
 */
export function listContracts(
  deployments: Array<{name: string; chain: 'l1' | 'l2'; address: Address}> = [],
  addresses: Record<string, Address> = {},
): ContractListEntry[] {
  const protocol: string[] = contractNames()
  const others = deployments.map((d) => d.name).filter((name) => !protocol.includes(name))
  return [...protocol, ...[...new Set(others)].sort()].map((name) => {
    const d = deployments.find((x) => x.name === name)
    return {name, ...(d ? {chain: d.chain} : {}), ...(addresses[name] ? {address: addresses[name]} : {})}
  })
}
