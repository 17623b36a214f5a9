import {type Address, createPublicClient, http} from 'viem'

import {L1Block} from '../contracts/bedrock/index.js'
import {L1_BLOCK} from '../devnet/bridge/addresses.js'
import {type PortalInfo, inspectPortal} from '../devnet/bridge/portal.js'
import type {Check} from './checks.js'

export type BridgeTarget = {
  /** For messages: devnet, testnet, mainnet or custom. */
  network: string
  l1RpcUrl: string
  portal: Address
  /** The L2's RPC: when given, its L1Block predeploy must name the same gas paying token. */
  l2RpcUrl?: string
}

/**
 * Asks a network's bridge, live, what it is: the portal's version, the output oracle it proves
 * against, and the gas paying token its SystemConfig names (and, given the L2, that the L2 agrees).
 */
export async function checkBridge(target: BridgeTarget): Promise<{checks: Check[]; bridge?: PortalInfo}> {
  let info: PortalInfo
  try {
    info = await inspectPortal(target.l1RpcUrl, target.portal)
  } catch (err) {
    return {
      checks: [
        {
          name: `${target.network}:portal`,
          ok: false,
          detail: `${target.portal} at ${target.l1RpcUrl}: ${(err as Error).message.split('\n')[0]}`,
          hint: 'check the L1 RPC URL and the portal address',
        },
      ],
    }
  }
  const token = info.gasPayingToken
  const checks: Check[] = [
    {name: `${target.network}:portal`, ok: true, detail: `OptimismPortal ${info.version} at ${info.portal} (L1 chain ${info.l1ChainId})`},
    {
      name: `${target.network}:gas-token`,
      ok: token.decimals === 18,
      detail: `${token.symbol ?? 'token'} ${token.address} (${token.decimals} decimals), named by SystemConfig ${info.systemConfig}`,
    },
    {
      name: `${target.network}:oracle`,
      ok: true,
      detail: `L2OutputOracle ${info.oracle}, finalization period ${info.finalizationPeriodSeconds} s`,
    },
  ]
  if (target.l2RpcUrl) {
    try {
      const l2 = createPublicClient({transport: http(target.l2RpcUrl, {retryCount: 1})})
      const [l2Token] = await l2.readContract({address: L1_BLOCK, abi: L1Block.abi, functionName: 'gasPayingToken'})
      const same = l2Token.toLowerCase() === token.address.toLowerCase()
      checks.push({
        name: `${target.network}:l2-gas-token`,
        ok: same,
        detail: `L1Block on the L2 names ${l2Token}`,
        ...(same ? {} : {hint: 'the L2 does not use the token its L1 portal locks'}),
      })
    } catch (err) {
      checks.push({name: `${target.network}:l2-gas-token`, ok: false, detail: (err as Error).message.split('\n')[0]})
    }
  }
  return {checks, bridge: info}
}
