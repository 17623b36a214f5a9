/**
 * What a deployment will cost in OPEN before anything is sent: each remaining contract's gas
 * (eth_estimateGas of its creation transaction) at the fee Ignition will offer, plus the L1 data fee
 * an OP Stack chain charges for posting the transaction to L1 (GasPriceOracle.getL1Fee, where the
 * chain has that predeploy).
 */
import {
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  decodeErrorResult,
  encodeDeployData,
  getContractAddress,
  isHex,
  serializeTransaction,
} from 'viem'

import {type ContractName, artifacts} from '../contracts/artifacts/index.js'
import type {DeployContext, Deployment} from '../devnet/deployments.js'
import {DeployFailedError} from './errors.js'
import type {ProtocolRoles} from './module.js'

/** OP Stack's GasPriceOracle predeploy. */
export const GAS_PRICE_ORACLE: Address = '0x420000000000000000000000000000000000000F'
const GET_L1_FEE_ABI = [
  {
    type: 'function',
    name: 'getL1Fee',
    stateMutability: 'view',
    inputs: [{name: '_data', type: 'bytes'}],
    outputs: [{name: '', type: 'uint256'}],
  },
] as const
/** Ignition's tip when the node does not suggest one (its DEFAULT_MAX_PRIORITY_FEE_PER_GAS). */
const DEFAULT_PRIORITY_FEE = 1_000_000_000n

export type ContractFee = {name: string; gas: bigint; l2Fee: bigint; l1Fee: bigint}

export type FeeEstimate = {
  contracts: ContractFee[]
  /** What the fee per gas Ignition offers allows at most: the balance a deployment must find. */
  maxFeePerGas: bigint
  /** The base fee now plus the tip: what the L2 part costs if the base fee stays where it is. */
  expectedFeePerGas: bigint
  /** Whether the chain has a GasPriceOracle (an OP Stack L2): false means no L1 data fee. */
  l1FeeApplies: boolean
  /** Sum over the contracts of gas × expectedFeePerGas + L1 fee, wei. */
  expected: bigint
  /** Sum over the contracts of gas × maxFeePerGas + L1 fee, wei. */
  maximum: bigint
}

/**
 * Estimates the contracts in `remaining` (in deployment order) deployed from `from`, whose next nonce
 * is `nonce`. Addresses of earlier contracts are the recorded ones (`deployed`) or, for those still
 * to come, where the nonce order will put them, so every constructor sees a real argument.
 */
export async function estimateDeployment(
  client: PublicClient<Transport, Chain>,
  opts: {from: Address; nonce: number; roles: ProtocolRoles; remaining: readonly Deployment[]; deployed: Record<string, Address>},
): Promise<FeeEstimate> {
  const [block, tip, oracleCode] = await Promise.all([
    client.getBlock({blockTag: 'latest'}),
    client.estimateMaxPriorityFeePerGas().catch(() => DEFAULT_PRIORITY_FEE),
    client.getCode({address: GAS_PRICE_ORACLE}),
  ])
  const baseFee = block.baseFeePerGas ?? (await client.getGasPrice())
  // As Ignition prices a transaction (src of EIP1193JsonRpcClient.getNetworkFees).
  const maxFeePerGas = baseFee === 0n ? 0n : baseFee * 2n + tip
  const expectedFeePerGas = baseFee === 0n ? 0n : baseFee + tip
  const l1FeeApplies = oracleCode !== undefined && oracleCode !== '0x'
  const addresses: Record<string, Address> = {...opts.deployed}
  let nonce = opts.nonce
  for (const d of opts.remaining) addresses[d.name] ??= getContractAddress({from: opts.from, nonce: BigInt(nonce++)})
  const ctx: DeployContext = {admin: opts.roles.admin, treasury: opts.roles.treasury, relayer: opts.roles.admin, addresses}
  const contracts: ContractFee[] = []
  nonce = opts.nonce
  for (const d of opts.remaining) {
    const artifact = artifacts[d.name as ContractName]
    const data = encodeDeployData({abi: artifact.abi, bytecode: artifact.bytecode as Hex, args: d.args(ctx) as never})
    let gas: bigint
    try {
      gas = await client.estimateGas({account: opts.from, data})
    } catch (err) {
      throw constructorRevert(d.name, artifact.abi as Abi, err) ?? err
    }
    let l1Fee = 0n
    if (l1FeeApplies) {
      // The oracle prices the transaction as it will be posted: serialized, unsigned.
      const tx = serializeTransaction({
        chainId: client.chain.id,
        type: 'eip1559',
        nonce: nonce,
        gas,
        maxFeePerGas,
        maxPriorityFeePerGas: tip,
        data,
      })
      l1Fee = await client.readContract({address: GAS_PRICE_ORACLE, abi: GET_L1_FEE_ABI, functionName: 'getL1Fee', args: [tx]})
    }
    nonce++
    contracts.push({name: d.name, gas, l2Fee: gas * expectedFeePerGas, l1Fee})
  }
  const l1 = contracts.reduce((s, c) => s + c.l1Fee, 0n)
  const gas = contracts.reduce((s, c) => s + c.gas, 0n)
  return {
    contracts,
    maxFeePerGas,
    expectedFeePerGas,
    l1FeeApplies,
    expected: gas * expectedFeePerGas + l1,
    maximum: gas * maxFeePerGas + l1,
  }
}

/** A constructor that reverts, named with the contract's own error (ZeroAddress(), …), when the node gave its data. */
function constructorRevert(name: string, abi: Abi, err: unknown): DeployFailedError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const data = (e as {data?: unknown}).data
    if (typeof data !== 'string' || !isHex(data) || data.length < 10) continue
    try {
      const decoded = decodeErrorResult({abi, data})
      const args = (decoded.args ?? []).map(String).join(', ')
      return new DeployFailedError(`${name}'s constructor reverts with ${decoded.errorName}(${args}): check its arguments`, {
        hints: [],
        cause: err,
      })
    } catch {
      return new DeployFailedError(`${name}'s constructor reverts (${data.slice(0, 10)})`, {hints: [], cause: err})
    }
  }
  return undefined
}
