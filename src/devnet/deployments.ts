import type {Address} from 'viem'

import {type ContractName, artifacts} from '../contracts/artifacts/index.js'

/** Who holds what on the devnet; constructor arguments read from here. */
export type DeployContext = {
  admin: Address
  treasury: Address
  relayer: Address
  /** Addresses of the contracts deployed before this one, by name. */
  addresses: Record<string, Address>
}

export type Deployment = {
  name: ContractName
  chain: 'l1' | 'l2'
  args: (ctx: DeployContext) => readonly unknown[]
}

/**
 * The protocol contracts the devnet deploys, in order (the OP Stack bridge between OpenToken and
 * the L2 is deployed by bridge/op-stack-l1.ts, behind proxies as OP deploys it). Adding a contract is one line here (after
 * `npm run contracts:build` has produced its artifact); a contract may take the address of any
 * contract above it.
 */
export const DEPLOYMENTS: readonly Deployment[] = [
  {name: 'OpenToken', chain: 'l1', args: (c) => [c.treasury]},
  {name: 'DatanetRegistry', chain: 'l2', args: (c) => [c.admin, c.treasury]},
  {name: 'ModelRegistry', chain: 'l2', args: (c) => [c.addresses.DatanetRegistry]},
  {name: 'Staking', chain: 'l2', args: (c) => [c.admin, c.treasury]},
  {name: 'InferenceSettlement', chain: 'l2', args: (c) => [c.admin, c.treasury, c.addresses.ModelRegistry, c.addresses.Staking]},
]

/** Every deployment's artifact must exist: checked by the tests so a typo fails fast. */
export function deploymentArtifact(d: Deployment) {
  return artifacts[d.name]
}

/** The OP Stack contracts the devnet state names, beside DEPLOYMENTS: L1 proxies and L2 predeploys. */
export const BRIDGE_CONTRACTS = {
  l1: ['ProxyAdmin', 'SuperchainConfig', 'L2OutputOracle', 'SystemConfig', 'OptimismPortal'],
  l2: ['L2ToL1MessagePasser', 'L1Block'],
} as const
