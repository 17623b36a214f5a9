/**
 * The protocol as one Ignition module. The contracts and their constructor arguments are the
 * devnet's (src/devnet/deployments.ts, DEPLOYMENTS): one list says what each contract takes, so a
 * contract that gains an argument deploys the same way on the devnet and on a real network.
 */
import {createHash} from 'node:crypto'

import type {Address} from 'viem'

import {type ArtifactResolver, type BuildInfo, buildModule} from '@nomicfoundation/ignition-core'

import {DEVNET_L2_CHAIN_ID, MAINNET_CHAIN_ID, TESTNET_CHAIN_ID} from '../chain/network-names.js'
import {type ContractName, artifacts} from '../contracts/artifacts/index.js'
import {DEPLOYMENTS, type DeployContext, type Deployment} from '../devnet/deployments.js'

/** The Ignition module id: the prefix of every key in deployed_addresses.json ("OpenLedger#Staking"). */
export const MODULE_ID = 'OpenLedger'

/** What `deploy` puts on a chain: the protocol contracts, OPEN's ERC-20 only where the chain lacks OPEN. */
export const PROTOCOL_CONTRACTS = ['DatanetRegistry', 'ModelRegistry', 'Staking', 'InferenceSettlement'] as const
export const OPEN_TOKEN_CONTRACT = 'OpenToken'

/**
 * The network presets' answer to "does this chain have OPEN?": OpenLedger's L2s (mainnet, testnet and
 * the devnet's) pay gas in OPEN, so the protocol's native-token fees are OPEN there and an ERC-20
 * OPEN would be a second, unrelated token.
 */
export const OPEN_NATIVE_CHAIN_IDS: ReadonlySet<number> = new Set([MAINNET_CHAIN_ID, TESTNET_CHAIN_ID, DEVNET_L2_CHAIN_ID])

export type ProtocolRoles = {
  /** Holds every admin and governance role. */
  admin: Address
  /** Receives the platform's fees (and OPEN's initial supply when OpenToken is deployed). */
  treasury: Address
}

/** The deployments in DEPLOYMENTS order (dependencies first), for the contracts asked for. */
export function protocolDeployments(withOpenToken: boolean): Deployment[] {
  const wanted = new Set<string>([...PROTOCOL_CONTRACTS, ...(withOpenToken ? [OPEN_TOKEN_CONTRACT] : [])])
  const list = DEPLOYMENTS.filter((d) => wanted.has(d.name))
  const missing = [...wanted].filter((n) => !list.some((d) => d.name === n))
  if (missing.length) throw new Error(`src/devnet/deployments.ts has no deployment for ${missing.join(', ')}`)
  return list
}

/**
 * Constructor arguments with the addresses of earlier contracts as Ignition futures, so Ignition
 * orders the transactions and fills the addresses in. Any argument naming a contract outside this
 * deployment (a bridge contract, say) is an error in the list, caught here before anything is sent.
 */
export function protocolModule(roles: ProtocolRoles, deployments: readonly Deployment[]) {
  return buildModule(MODULE_ID, (m) => {
    const futures: Record<string, unknown> = {}
    const addresses = new Proxy({} as Record<string, Address>, {
      get(_target, name) {
        if (typeof name !== 'string' || !(name in futures))
          throw new Error(`a constructor argument needs ${String(name)}, which this deployment does not include`)
        return futures[name]
      },
    })
    const ctx: DeployContext = {admin: roles.admin, treasury: roles.treasury, relayer: roles.admin, addresses}
    for (const d of deployments) futures[d.name] = m.contract(d.name, d.args(ctx) as never[], {id: d.name})
    return futures as Record<string, ReturnType<typeof m.contract>>
  })
}

/** Ignition's view of the project's compiled artifacts, each with the build info that reproduces it. */
export async function projectArtifactResolver(): Promise<ArtifactResolver> {
  const {buildInfo} = await import('../contracts/artifacts/build-info.js')
  const id = buildInfoId(buildInfo.solcLongVersion, JSON.stringify(buildInfo.input))
  const info: BuildInfo = {
    _format: 'hh-sol-build-info-1',
    id,
    solcVersion: buildInfo.solcVersion,
    solcLongVersion: buildInfo.solcLongVersion,
    input: buildInfo.input,
    userSourceNameMap: Object.fromEntries(Object.keys(buildInfo.input.sources).map((s) => [s, s])),
  }
  const known = (name: string): name is ContractName => Object.hasOwn(artifacts, name)
  return {
    async loadArtifact(name) {
      if (!known(name)) throw new Error(`no compiled contract named ${name}`)
      const a = artifacts[name]
      return {
        _format: 'hh-sol-artifact-1',
        contractName: name,
        sourceName: `${name}.sol`,
        abi: a.abi,
        bytecode: a.bytecode,
        deployedBytecode: '0x',
        linkReferences: {},
        deployedLinkReferences: {},
        buildInfoId: id,
      }
    },
    async getBuildInfo(name) {
      return known(name) ? info : undefined
    },
  }
}

/** A stable id for a build: the same input and compiler give the same file name under build-info/. */
function buildInfoId(solcLongVersion: string, input: string): string {
  return createHash('sha256').update(solcLongVersion).update(input).digest('hex').slice(0, 32)
}
