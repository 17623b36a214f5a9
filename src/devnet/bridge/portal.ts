import {type Address, createPublicClient, erc20Abi, http} from 'viem'

import {L2OutputOracle, OptimismPortal, SystemConfig} from '../../contracts/bedrock/index.js'
import {OpenledgerError} from '../../errors.js'
import type {BridgeEndpoints} from './addresses.js'

/** The OP Stack's marker for "ETH pays for gas" (Constants.ETHER). */
const ETHER: Address = '0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE'

export type PortalInfo = {
  l1ChainId: number
  portal: Address
  version: string
  oracle: Address
  systemConfig: Address
  finalizationPeriodSeconds: string
  gasPayingToken: {address: Address; decimals: number; symbol?: string}
}

export class NotAGasTokenPortalError extends OpenledgerError {
  override name = 'NotAGasTokenPortalError'
  constructor(portal: Address, why: string) {
    super('E_NOT_A_CGT_PORTAL', `${portal} is not an OP Stack portal with a custom gas token: ${why}`)
  }
}

/**
 * Reads what a bridge is from its portal, live: the portal's version, its output oracle, its
 * SystemConfig and the gas paying token SystemConfig names (ETH would mean no OPEN bridge at all).
 */
export async function inspectPortal(l1RpcUrl: string, portal: Address): Promise<PortalInfo> {
  const client = createPublicClient({transport: http(l1RpcUrl, {retryCount: 1})})
  const read = <T>(p: Promise<T>, what: string) =>
    p.catch((err: Error) => {
      throw new NotAGasTokenPortalError(portal, `${what} failed (${err.message.split('\n')[0]})`)
    })
  const [l1ChainId, version, oracle, systemConfig] = await Promise.all([
    client.getChainId(),
    read(client.readContract({address: portal, abi: OptimismPortal.abi, functionName: 'version'}), 'version()'),
    read(client.readContract({address: portal, abi: OptimismPortal.abi, functionName: 'l2Oracle'}), 'l2Oracle()'),
    read(client.readContract({address: portal, abi: OptimismPortal.abi, functionName: 'systemConfig'}), 'systemConfig()'),
  ])
  const [[token, decimals], period] = await Promise.all([
    read(
      client.readContract({address: systemConfig, abi: SystemConfig.abi, functionName: 'gasPayingToken'}),
      'SystemConfig.gasPayingToken()',
    ),
    read(
      client.readContract({address: oracle, abi: L2OutputOracle.abi, functionName: 'finalizationPeriodSeconds'}),
      'L2OutputOracle.finalizationPeriodSeconds()',
    ),
  ])
  if (token.toLowerCase() === ETHER.toLowerCase()) throw new NotAGasTokenPortalError(portal, 'its SystemConfig says ETH pays for gas')
  const symbol = await client.readContract({address: token, abi: erc20Abi, functionName: 'symbol'}).catch(() => undefined)
  return {
    l1ChainId,
    portal,
    version,
    oracle,
    systemConfig,
    finalizationPeriodSeconds: period.toString(),
    gasPayingToken: {address: token, decimals, ...(symbol ? {symbol} : {})},
  }
}

/** The bridge of a public (or any non-devnet) network, from its L1 endpoint and portal: the rest is read live. */
export async function networkBridgeEndpoints(
  l1RpcUrl: string,
  l2: {chainId: number; rpcUrl: string},
  portal: Address,
): Promise<{endpoints: BridgeEndpoints; portal: PortalInfo}> {
  const info = await inspectPortal(l1RpcUrl, portal)
  return {
    endpoints: {l1: {chainId: info.l1ChainId, rpcUrl: l1RpcUrl}, l2, token: info.gasPayingToken.address, portal, oracle: info.oracle},
    portal: info,
  }
}
