import {type Account, type Address, type Hex, keccak256} from 'viem'

import {readContract, writeContract} from '../../chain/contract.js'
import {OpenL2Bridge, OpenPortal} from '../../contracts/artifacts/index.js'
import type {LayerClients} from '../clients.js'
import {writerOn} from './contexts.js'
import type {DepositEvent} from './deposit-tx.js'
import type {BridgeChains, WithdrawalEvent} from './relayer.js'

export type BridgeAddresses = {portal: Address; l2Bridge: Address}

/** BridgeChains over the devnet's real chains; the relayer account signs L1 finalisations. */
export function viemBridgeChains(l1: LayerClients, l2: LayerClients, addresses: BridgeAddresses, relayer: Account): BridgeChains {
  const l1Relayer = writerOn(l1, {OpenPortal: addresses.portal}, relayer)
  return {
    l1BlockNumber: () => l1.public.getBlockNumber({cacheTime: 0}),
    l2BlockNumber: () => l2.public.getBlockNumber({cacheTime: 0}),
    l1BlockHash: (n) => blockHash(l1, n),
    l2BlockHash: (n) => blockHash(l2, n),
    async depositEvents(fromBlock, toBlock) {
      const logs = await l1.public.getContractEvents({
        address: addresses.portal,
        abi: OpenPortal.abi,
        eventName: 'DepositInitiated',
        fromBlock,
        toBlock,
      })
      return logs.map(
        (log): DepositEvent => ({
          nonce: log.args.nonce!,
          from: log.args.from!,
          to: log.args.to!,
          amount: log.args.amount!,
          l1BlockHash: log.blockHash!,
          logIndex: log.logIndex!,
        }),
      )
    },
    async withdrawalEvents(fromBlock, toBlock) {
      const logs = await l2.public.getContractEvents({
        address: addresses.l2Bridge,
        abi: OpenL2Bridge.abi,
        eventName: 'WithdrawalInitiated',
        fromBlock,
        toBlock,
      })
      return logs.map(
        (log): WithdrawalEvent => ({nonce: log.args.nonce!, from: log.args.from!, to: log.args.to!, amount: log.args.amount!}),
      )
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
      await l2.public.waitForTransactionReceipt({hash, pollingInterval: 5})
      return hash
    },
    isWithdrawalFinalized: (nonce) => readContract(l1Relayer, 'OpenPortal', 'finalizedWithdrawals', [nonce]),
    async finalizeWithdrawal(event) {
      const {hash} = await writeContract(l1Relayer, {
        contract: 'OpenPortal',
        functionName: 'finalizeWithdrawal',
        args: [event.nonce, event.to, event.amount],
      })
      return hash
    },
  }
}

async function blockHash(layer: LayerClients, blockNumber: bigint): Promise<Hex | undefined> {
  const block = await layer.public.getBlock({blockNumber}).catch(() => undefined)
  return block?.hash ?? undefined
}
