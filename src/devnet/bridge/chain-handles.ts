import {type Account, type Address, type Hex, encodeAbiParameters, keccak256, zeroHash} from 'viem'

import {L2OutputOracle, OptimismPortal} from '../../contracts/bedrock/index.js'
import type {LayerClients} from '../clients.js'
import {L2_TO_L1_MESSAGE_PASSER} from './addresses.js'
import {type DepositEvent, decodeDeposit} from './deposit-tx.js'
import type {BridgeChains} from './relayer.js'

export type RelayedContracts = {portal: Address; oracle: Address}

/**
 * The output root of an L2 block as the OP Stack defines it (version 0):
 * keccak256(abi.encode(bytes32(0), stateRoot, messagePasserStorageRoot, blockHash)). The portal
 * proves withdrawals against it with an account proof of L2ToL1MessagePasser's storage.
 */
export async function outputRootAt(l2: LayerClients, blockNumber: bigint): Promise<{outputRoot: Hex; blockHash: Hex}> {
  const [block, proof] = await Promise.all([
    l2.public.getBlock({blockNumber}),
    l2.public.getProof({address: L2_TO_L1_MESSAGE_PASSER, storageKeys: [], blockNumber}),
  ])
  const outputRoot = keccak256(
    encodeAbiParameters(
      [{type: 'bytes32'}, {type: 'bytes32'}, {type: 'bytes32'}, {type: 'bytes32'}],
      [zeroHash, block.stateRoot, proof.storageHash, block.hash!],
    ),
  )
  return {outputRoot, blockHash: block.hash!}
}

/**
 * BridgeChains over real chains. `l2` must reach the L2 node itself (on the devnet the anvil's
 * private URL): its public endpoint refuses deposit transactions from anyone but the relayer. The
 * relayer account signs output proposals on L1 (it is the oracle's proposer).
 */
export function viemBridgeChains(l1: LayerClients, l2: LayerClients, contracts: RelayedContracts, proposer: Account): BridgeChains {
  const l1Proposer = l1.wallet(proposer)
  return {
    l1BlockNumber: () => l1.public.getBlockNumber({cacheTime: 0}),
    l2BlockNumber: () => l2.public.getBlockNumber({cacheTime: 0}),
    l1BlockHash: (n) => blockHash(l1, n),
    l2BlockHash: (n) => blockHash(l2, n),
    async depositEvents(fromBlock, toBlock) {
      const logs = await l1.public.getContractEvents({
        address: contracts.portal,
        abi: OptimismPortal.abi,
        eventName: 'TransactionDeposited',
        fromBlock,
        toBlock,
        strict: true,
      })
      return logs.map((log) => decodeDeposit(log.args, log.blockHash, log.logIndex)).filter((e): e is DepositEvent => e !== undefined)
    },
    async l2HasTransaction(hash: Hex) {
      const tx = await l2.public.getTransaction({hash}).catch(() => undefined)
      return tx !== undefined && tx !== null
    },
    async sendL2Deposit(serialized: Hex) {
      const hash = keccak256(serialized)
      // anvil gives a deposit the sender's current nonce in its pool; right after the sender's
      // previous transaction was mined that view can lag and the pool answers "replacement
      // transaction underpriced". Waiting a moment and sending the same transaction again is safe:
      // its hash is fixed, and we stop as soon as the L2 has it.
      for (let attempt = 0; ; attempt++) {
        try {
          await l2.public.request({method: 'eth_sendRawTransaction', params: [serialized]})
          break
        } catch (err) {
          if (!/replacement transaction underpriced|already imported|already known/i.test(String((err as Error).message)) || attempt >= 100)
            throw err
          if (await l2.public.getTransaction({hash}).then(Boolean, () => false)) break
          await new Promise((r) => setTimeout(r, 10))
        }
      }
      await l2.public.waitForTransactionReceipt({hash, pollingInterval: 5, timeout: RECEIPT_TIMEOUT_MS})
      return hash
    },
    nextOutputBlock: () => l1.public.readContract({address: contracts.oracle, abi: L2OutputOracle.abi, functionName: 'nextBlockNumber'}),
    async proposeOutput(n) {
      const {outputRoot} = await outputRootAt(l2, n)
      // No L1 block hash: the oracle then skips its reorg check, which a devnet that restores
      // snapshots would trip over.
      const hash = await l1Proposer.writeContract({
        address: contracts.oracle,
        abi: L2OutputOracle.abi,
        functionName: 'proposeL2Output',
        args: [outputRoot, n, zeroHash, 0n],
      })
      const receipt = await l1.public.waitForTransactionReceipt({hash, pollingInterval: 5, timeout: RECEIPT_TIMEOUT_MS})
      if (receipt.status !== 'success') throw new Error(`proposing the output root of L2 block ${n} reverted (${hash})`)
      return hash
    },
  }
}

/**
 * How long one relayed transaction may take to be mined. Bounded so that a transaction dropped by a
 * snapshot restore fails the pass (the next one retries, idempotently) instead of holding the
 * relayer, and a devnet stop, for viem's default three minutes.
 */
const RECEIPT_TIMEOUT_MS = 15_000

async function blockHash(layer: LayerClients, blockNumber: bigint): Promise<Hex | undefined> {
  const block = await layer.public.getBlock({blockNumber}).catch(() => undefined)
  return block?.hash ?? undefined
}
