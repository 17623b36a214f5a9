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
 * What the devnet deploys, in order. Adding a contract is one line here (after
 * `npm run contracts:build` has produced its artifact); a contract may take the address of any
 * contract above it.
 */
export const DEPLOYMENTS: readonly Deployment[] = [
  {name: 'OpenToken', chain: 'l1', args: (c) => [c.treasury]},
  {name: 'OpenPortal', chain: 'l1', args: (c) => [c.addresses.OpenToken, c.admin, c.relayer]},
  {name: 'OpenL2Bridge', chain: 'l2', args: () => []},
  {name: 'DatanetRegistry', chain: 'l2', args: (c) => [c.admin, c.treasury]},
  {name: 'ModelRegistry', chain: 'l2', args: (c) => [c.addresses.DatanetRegistry]},
  {name: 'Staking', chain: 'l2', args: (c) => [c.admin, c.treasury]},
  {name: 'InferenceSettlement', chain: 'l2', args: (c) => [c.admin, c.treasury, c.addresses.ModelRegistry, c.addresses.Staking]},
]

/** Every deployment's artifact must exist: checked by the tests so a typo fails fast. */
export function deploymentArtifact(d: Deployment) {
  return artifacts[d.name]
}
