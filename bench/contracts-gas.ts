/**
 * Gas used by the protocol's main transactions, read from receipts on a real anvil with every
 * contract deployed as the devnet deploys it.
 *
 *   npx tsx bench/contracts-gas.ts
 *
 * Settlements are measured in steady state (the model owner and the treasury already hold a
 * balance) with contributors new to the contract, the most expensive case per contributor, each
 * proven by a Merkle multiproof in a datanet of 10,000 records; the ratio is against today's
 * settlement before proofs (bench/baselines/unproven-settlement.ts) deployed in the same run.
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
import type {MerkleLeaf} from '../src/datanet/merkle.js'
import {AUTHORIZATION_TYPES, settlementDomain} from '../src/protocol/authorization.js'
import {DatanetVersionTree, attributionProofs} from '../src/protocol/proofs.js'
import {UnprovenInferenceSettlement} from './baselines/unproven-settlement.js'

export type GasRow = {operation: string; gasUsed: bigint}

const SETTLE_SIZES = [1, 10, 50]
/** Records in the datanet the settlements prove against. */
const DATANET_RECORDS = 10_000

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
    const baselineRows: GasRow[] = []
    const measure = async (operation: string, receipt: Promise<TransactionReceipt>) => {
      rows.push({operation, gasUsed: (await receipt).gasUsed})
    }

    await measure('DatanetRegistry.createDatanet', call(1, 'DatanetRegistry', 'createDatanet', ['support-tickets', 'ipfs://bafy-meta', 0]))
    // A datanet of DATANET_RECORDS records from 1000 contributors (Merkle proofs ~log2 N deep), the
    // contributors of the settlements below among them.
    const contributorsOf = (k: number, salt: string) =>
      Array.from({length: k}, (_, i) => `0x${keccak256(toHex(`bench/${salt}/${k}/${i}`)).slice(26)}` as Address)
    // Separate contributors for settle and settleAuthorized: each credits balance slots new to the contract.
    const payees = ['warm', 'settle', 'auth'].flatMap((salt) => SETTLE_SIZES.flatMap((k) => contributorsOf(k, salt)))
    const leaves: MerkleLeaf[] = Array.from({length: DATANET_RECORDS}, (_, i) => [
      keccak256(toHex(`record ${i}`)),
      i < payees.length ? payees[i] : (`0x${keccak256(toHex(`other ${i % 1000}`)).slice(26)}` as Address),
    ])
    const tree = new DatanetVersionTree(leaves)
    const root = tree.root
    const fee = (await publicClient.readContract({
      address: ctx.addresses.DatanetRegistry,
      abi: artifacts.DatanetRegistry.abi,
      functionName: 'versionFee',
      args: [1n],
    })) as bigint
    await measure(
      'DatanetRegistry.publishVersion',
      call(1, 'DatanetRegistry', 'publishVersion', [1n, root, BigInt(DATANET_RECORDS), 1_000_000n, 'ipfs://bafy-v1'], fee),
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

    // Today's settlement (no proofs, no authorizations), deployed beside the new one as the baseline.
    const baseline = await wallets[DEV_ROLES.admin].deployContract({
      abi: UnprovenInferenceSettlement.abi as Abi,
      bytecode: UnprovenInferenceSettlement.bytecode as Hex,
      args: [admin, admin, ctx.addresses.ModelRegistry, ctx.addresses.Staking],
    })
    const baselineAddress = (await publicClient.waitForTransactionReceipt({hash: baseline})).contractAddress!
    const sendTo = async (from: number, address: Address, abi: Abi, functionName: string, args: unknown[], value?: bigint) => {
      const {request} = await publicClient.simulateContract({address, abi, functionName, args, value, account: accounts[from]} as never)
      const hash = await wallets[from].writeContract(request as never)
      return publicClient.waitForTransactionReceipt({hash})
    }
    const weightsOf = (k: number) => {
      const weights = Array.from({length: k}, () => WEIGHT_SCALE / BigInt(k))
      weights[0] += WEIGHT_SCALE - weights.reduce((a, b) => a + b, 0n)
      return weights
    }
    const proven = (contributors: Address[]) => ({
      modelId: 1n,
      modelVersion: 1,
      responseHash: root,
      fee: parseEther('1'),
      contributors,
      weights: weightsOf(contributors.length),
      proofs: attributionProofs(
        {
          contributors: contributors.map((address) => ({address})),
          records: leaves.map(([recordHash, contributor]) => ({recordHash, contributor})),
        },
        [tree],
      ),
    })
    // Steady state for both: the model owner's and the treasury's balances already written.
    const warm = contributorsOf(1, 'warm')
    await sendTo(5, baselineAddress, UnprovenInferenceSettlement.abi as Abi, 'settle', [1n, root, warm, [WEIGHT_SCALE]], parseEther('1'))
    await call(5, 'InferenceSettlement', 'settle', [proven(warm)], parseEther('1'))
    // Credit and an agent stake for the authorized path.
    await call(6, 'InferenceSettlement', 'deposit', [], parseEther('100'))
    await call(7, 'Staking', 'stake', [1], parseEther('10'))
    const settlementAddress = ctx.addresses.InferenceSettlement
    const chainId = await publicClient.getChainId()
    let nonce = 0n
    const authorize = async () => {
      const message = {payer: accounts[6].address, modelId: 1n, maxFee: parseEther('1'), nonce: ++nonce, expiry: 2n ** 40n}
      const signature = await accounts[6].signTypedData!({
        domain: settlementDomain(chainId, settlementAddress),
        types: AUTHORIZATION_TYPES,
        primaryType: 'PaymentAuthorization',
        message,
      })
      return {...message, signature}
    }
    for (const k of SETTLE_SIZES) {
      // Fresh contributors for each contract, so each pays for new balance slots alike.
      const fresh = (salt: string) => Array.from({length: k}, (_, i) => `0x${keccak256(toHex(`${salt}/${k}/${i}`)).slice(26)}` as Address)
      const before = await sendTo(
        5,
        baselineAddress,
        UnprovenInferenceSettlement.abi as Abi,
        'settle',
        [1n, root, fresh('base'), weightsOf(k)],
        parseEther('1'),
      )
      baselineRows.push({operation: `InferenceSettlement.settle (k = ${k})`, gasUsed: before.gasUsed})
      await measure(
        `InferenceSettlement.settle (k = ${k})`,
        call(5, 'InferenceSettlement', 'settle', [proven(contributorsOf(k, 'settle'))], parseEther('1')),
      )
      await measure(
        `InferenceSettlement.settleAuthorized (k = ${k})`,
        call(7, 'InferenceSettlement', 'settleAuthorized', [[proven(contributorsOf(k, 'auth'))], [await authorize()]]),
      )
    }

    await measure('InferenceSettlement.claim', call(2, 'InferenceSettlement', 'claim'))
    await measure('Staking.claimRewards', call(3, 'Staking', 'claimRewards'))
    await measure('Staking.slash', call(0, 'Staking', 'slash', [accounts[3].address, parseEther('4'), 'ipfs://bafy-evidence']))
    await measure('Staking.requestWithdrawal', call(3, 'Staking', 'requestWithdrawal', [parseEther('1')]))

    const width = Math.max(...rows.map((r) => r.operation.length))
    log(`${'operation'.padEnd(width)}  ${'gas used'.padStart(9)}  ${'unproven'.padStart(9)}  ratio`)
    log(`${'-'.repeat(width)}  ${'-'.repeat(9)}  ${'-'.repeat(9)}  -----`)
    for (const r of rows) {
      // settle and settleAuthorized both against today's settle (no proofs, no authorization).
      const base = baselineRows.find((b) => b.operation === r.operation.replace('settleAuthorized', 'settle'))
      const ratio = base ? (Number(r.gasUsed) / Number(base.gasUsed)).toFixed(2) : ''
      log(`${r.operation.padEnd(width)}  ${r.gasUsed.toString().padStart(9)}  ${(base?.gasUsed.toString() ?? '').padStart(9)}  ${ratio}`)
    }
    const settleGas = (k: number) => rows.find((r) => r.operation === `InferenceSettlement.settle (k = ${k})`)!.gasUsed
    log(
      `settle with proofs, per extra contributor (k 10 → 50): ${(settleGas(50) - settleGas(10)) / 40n} gas (datanet of ${DATANET_RECORDS} records)`,
    )
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
