import {type Abi, type Account, type Address, type Hex, encodeFunctionData, zeroAddress, zeroHash} from 'viem'

import {
  L1Block,
  L2OutputOracle,
  L2ToL1MessagePasser,
  Multicall3,
  OptimismPortal,
  Proxy,
  ProxyAdmin,
  SuperchainConfig,
  SystemConfig,
} from '../../contracts/bedrock/index.js'
import {anvilClient} from '../../chain/anvil.js'
import type {LayerClients} from '../clients.js'
import {L1_BLOCK, L2_TO_L1_MESSAGE_PASSER, MULTICALL3} from './addresses.js'

/** The L1 side of the OP Stack as the devnet deploys it: every address is a Proxy's except ProxyAdmin's. */
export type OpStackL1 = {
  ProxyAdmin: Address
  SuperchainConfig: Address
  L2OutputOracle: Address
  SystemConfig: Address
  OptimismPortal: Address
}

export type OpStackL1Config = {
  /** The L1 ERC-20 that pays for gas on the L2 (OPEN). */
  gasPayingToken: Address
  /** Owns ProxyAdmin and SystemConfig, guards SuperchainConfig, may delete outputs. */
  owner: Address
  /** Proposes L2 output roots (the devnet's relayer). */
  proposer: Address
  /** Seconds between an output's proposal (and a withdrawal's proof) and its finalization. */
  finalizationPeriodSeconds: bigint
}

/** OP's default deposit fee market (Constants.DEFAULT_RESOURCE_CONFIG). */
const RESOURCE_CONFIG = {
  maxResourceLimit: 20_000_000,
  elasticityMultiplier: 10,
  baseFeeMaxChangeDenominator: 8,
  minimumBaseFee: 1_000_000_000,
  systemTxMaxGas: 1_000_000,
  maximumBaseFee: 2n ** 128n - 1n,
} as const

const L2_GAS_LIMIT = 30_000_000n

/**
 * Deploys OptimismPortal, SystemConfig (OPEN as the gas paying token), L2OutputOracle and
 * SuperchainConfig behind Proxy/ProxyAdmin and initializes each through `upgradeAndCall`, the way
 * OP's Deploy.s.sol does. The portal is initialized before SystemConfig: SystemConfig's initializer
 * tells the portal the gas paying token, and the portal only listens to its SystemConfig; the portal
 * then emits the system deposit that sets the token in the L2's L1Block predeploy.
 */
export async function deployOpStackL1(l1: LayerClients, deployer: Account, config: OpStackL1Config): Promise<OpStackL1> {
  const wallet = l1.wallet(deployer)
  const mined = async (hash: Hex, what: string) => {
    const receipt = await l1.public.waitForTransactionReceipt({hash, pollingInterval: 5})
    if (receipt.status !== 'success') throw new Error(`${what} reverted on L1 (${hash})`)
    return receipt
  }
  const deploy = async (artifact: {abi: Abi; bytecode: Hex; contractName: string}, args: readonly unknown[] = []) => {
    const receipt = await mined(
      await wallet.deployContract({abi: artifact.abi, bytecode: artifact.bytecode, args}),
      `deploying ${artifact.contractName}`,
    )
    return receipt.contractAddress!
  }

  const proxyAdmin = await deploy(ProxyAdmin, [config.owner])
  const proxies = {} as Record<'SuperchainConfig' | 'L2OutputOracle' | 'SystemConfig' | 'OptimismPortal', Address>
  for (const name of ['SuperchainConfig', 'L2OutputOracle', 'SystemConfig', 'OptimismPortal'] as const) {
    proxies[name] = await deploy(Proxy, [proxyAdmin])
  }
  const upgrade = async (name: keyof typeof proxies, artifact: {abi: Abi; bytecode: Hex; contractName: string}, init: Hex) => {
    const implementation = await deploy(artifact)
    await mined(
      await wallet.writeContract({
        address: proxyAdmin,
        abi: ProxyAdmin.abi,
        functionName: 'upgradeAndCall',
        args: [proxies[name], implementation, init],
      }),
      `initializing ${name}`,
    )
  }

  await upgrade(
    'SuperchainConfig',
    SuperchainConfig,
    encodeFunctionData({abi: SuperchainConfig.abi, functionName: 'initialize', args: [config.owner, false]}),
  )
  await upgrade(
    'L2OutputOracle',
    L2OutputOracle,
    encodeFunctionData({
      abi: L2OutputOracle.abi,
      functionName: 'initialize',
      // One output per L2 block, starting at the L2 genesis. The oracle's model of L2 time
      // (startingTimestamp + blocks × l2BlockTime must lie in the past) assumes fixed block times;
      // anvil mines a block per transaction, so a starting timestamp of 0 keeps every mined block
      // proposable at once instead of throttling proposals to one a second.
      args: [1n, 1n, 0n, 0n, config.proposer, config.owner, config.finalizationPeriodSeconds],
    }),
  )
  await upgrade(
    'OptimismPortal',
    OptimismPortal,
    encodeFunctionData({
      abi: OptimismPortal.abi,
      functionName: 'initialize',
      args: [proxies.L2OutputOracle, proxies.SystemConfig, proxies.SuperchainConfig],
    }),
  )
  await upgrade(
    'SystemConfig',
    SystemConfig,
    encodeFunctionData({
      abi: SystemConfig.abi,
      functionName: 'initialize',
      args: [
        config.owner,
        0,
        0,
        zeroHash,
        L2_GAS_LIMIT,
        zeroAddress,
        RESOURCE_CONFIG,
        zeroAddress,
        {
          l1CrossDomainMessenger: zeroAddress,
          l1ERC721Bridge: zeroAddress,
          l1StandardBridge: zeroAddress,
          disputeGameFactory: zeroAddress,
          optimismPortal: proxies.OptimismPortal,
          optimismMintableERC20Factory: zeroAddress,
          gasPayingToken: config.gasPayingToken,
        },
      ],
    }),
  )
  return {ProxyAdmin: proxyAdmin, ...proxies}
}

/**
 * Places the predeploys the bridge needs, as an OP Stack genesis does: L2ToL1MessagePasser and
 * L1Block on the L2 at their standard addresses, Multicall3 on both chains at its canonical one.
 */
export async function placePredeploys(l1: LayerClients, l2: LayerClients): Promise<void> {
  const setCode = (layer: LayerClients, address: Address, bytecode: Hex) => anvilClient(layer.chain).setCode({address, bytecode})
  await Promise.all([
    setCode(l2, L2_TO_L1_MESSAGE_PASSER, L2ToL1MessagePasser.deployedBytecode),
    setCode(l2, L1_BLOCK, L1Block.deployedBytecode),
    setCode(l1, MULTICALL3, Multicall3.deployedBytecode),
    setCode(l2, MULTICALL3, Multicall3.deployedBytecode),
  ])
}
