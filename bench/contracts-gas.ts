/**
 * Gas used by the protocol's main transactions, read from receipts on a real anvil with every
 * contract deployed as the devnet deploys it.
 *
 *   npx tsx bench/contracts-gas.ts
 *
 * Settlements are measured in steady state (the model owner and the treasury already hold a
 * balance) with contributors new to the contract, the most expensive case per contributor.
 */
import {fileURLToPath} from 'node:url'

import {
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  parseEther,
  toHex,
} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {DEV_ROLES, devAccounts} from '../src/chain/dev-accounts.js'
import {DEVNET_L2_CHAIN_ID, devnetChain} from '../src/chain/networks.js'
import {type ContractName, artifacts} from '../src/contracts/artifacts/index.js'
import {AnvilInstance} from '../src/devnet/anvil-instance.js'
import {DEPLOYMENTS, type DeployContext} from '../src/devnet/deployments.js'
import {WEIGHT_SCALE} from '../src/protocol/split.js'

export type GasRow = {operation: string; gasUsed: bigint}

const SETTLE_SIZES = [1, 10, 50]

export async function contractsGasBench(log: (line: string) => void = console.log): Promise<GasRow[]> {
  const anvil = new AnvilInstance({label: 'bench L2', port: 0, portFlag: '--port', chainId: DEVNET_L2_CHAIN_ID, optimism: true})
  await anvil.start()
  try {
    const chain = devnetChain(DEVNET_L2_CHAIN_ID, anvil.rpcUrl, 'l2')
    const transport = http(anvil.rpcUrl)
    const publicClient = createPublicClient({chain, transport, pollingInterval: 5})
    const accounts = devAccounts().map((a) => privateKeyToAccount(a.privateKey))
    const wallets = accounts.map((account) => createWalletClient({account, chain, transport}))
    const admin = accounts[DEV_ROLES.admin].address
    const ctx: DeployContext = {admin, treasury: admin, relayer: accounts[DEV_ROLES.relayer].address, addresses: {}}
    for (const d of DEPLOYMENTS) {
      const hash = await wallets[DEV_ROLES.admin].deployContract({
        abi: artifacts[d.name].abi as Abi,
        bytecode: artifacts[d.name].bytecode as Hex,
        args: d.args(ctx) as unknown[],
      })
      const receipt = await publicClient.waitForTransactionReceipt({hash})
      ctx.addresses[d.name] = receipt.contractAddress!
    }

    const call = async (from: number, contract: ContractName, functionName: string, args: unknown[] = [], value?: bigint) => {
      const {request} = await publicClient.simulateContract({
        address: ctx.addresses[contract],
        abi: artifacts[contract].abi as Abi,
        functionName,
        args,
        value,
        account: accounts[from],
      } as never)
      const hash = await wallets[from].writeContract(request as never)
      const receipt: TransactionReceipt = await publicClient.waitForTransactionReceipt({hash})
      if (receipt.status !== 'success') throw new Error(`${contract}.${functionName} reverted`)
      return receipt
    }
    const rows: GasRow[] = []
    const measure = async (operation: string, receipt: Promise<TransactionReceipt>) => {
      rows.push({operation, gasUsed: (await receipt).gasUsed})
    }

    await measure('DatanetRegistry.createDatanet', call(1, 'DatanetRegistry', 'createDatanet', ['support-tickets', 'ipfs://bafy-meta', 0]))
    const root = keccak256(toHex('datanet root'))
    const fee = (await publicClient.readContract({
      address: ctx.addresses.DatanetRegistry,
      abi: artifacts.DatanetRegistry.abi,
      functionName: 'publishFee',
      args: [1_000_000n, 5000n],
    })) as bigint
    await measure(
      'DatanetRegistry.publishVersion',
      call(1, 'DatanetRegistry', 'publishVersion', [1n, root, 5000n, 1_000_000n, 'ipfs://bafy-v1'], fee),
    )
    await measure('ModelRegistry.registerModel', call(2, 'ModelRegistry', 'registerModel', ['ticket-router', 'wink-glove-100d']))
    await measure(
      'ModelRegistry.registerVersion (1 datanet)',
      call(2, 'ModelRegistry', 'registerVersion', [
        1n,
        'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
        root,
        [{datanetId: 1n, version: 1, root}],
      ]),
    )
    await measure('Staking.stake (first)', call(3, 'Staking', 'stake', [1], parseEther('10')))

    await call(5, 'InferenceSettlement', 'settle', [1n, root, [accounts[4].address], [WEIGHT_SCALE]], parseEther('1'))
    for (const k of SETTLE_SIZES) {
      const contributors = Array.from({length: k}, (_, i) => `0x${keccak256(toHex(`bench/${k}/${i}`)).slice(26)}` as Address)
      const weights = Array.from({length: k}, () => WEIGHT_SCALE / BigInt(k))
      weights[0] += WEIGHT_SCALE - weights.reduce((a, b) => a + b, 0n)
      await measure(
        `InferenceSettlement.settle (k = ${k})`,
        call(5, 'InferenceSettlement', 'settle', [1n, root, contributors, weights], parseEther('1')),
      )
    }

    await measure('InferenceSettlement.claim', call(4, 'InferenceSettlement', 'claim'))
    await measure('Staking.claimRewards', call(3, 'Staking', 'claimRewards'))
    await measure('Staking.slash', call(0, 'Staking', 'slash', [accounts[3].address, parseEther('4'), 'ipfs://bafy-evidence']))
    await measure('Staking.requestWithdrawal', call(3, 'Staking', 'requestWithdrawal', [parseEther('1')]))

    const width = Math.max(...rows.map((r) => r.operation.length))
    log(`${'operation'.padEnd(width)}  ${'gas used'.padStart(9)}`)
    log(`${'-'.repeat(width)}  ${'-'.repeat(9)}`)
    for (const r of rows) log(`${r.operation.padEnd(width)}  ${r.gasUsed.toString().padStart(9)}`)
    const settleGas = (k: number) => rows.find((r) => r.operation === `InferenceSettlement.settle (k = ${k})`)!.gasUsed
    log(`settle, per extra contributor (k 10 → 50): ${(settleGas(50) - settleGas(10)) / 40n} gas`)
    return rows
  } finally {
    await anvil.stop()
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  contractsGasBench().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
