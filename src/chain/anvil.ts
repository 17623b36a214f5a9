/**
 * anvil's own RPC methods (snapshots, state dumps, mining) through viem's test actions, typed, over
 * the devnet chain a LayerClients or ChainContext already names.
 */
import {type Chain, type Hex, createTestClient, http} from 'viem'

export function anvilClient(chain: Chain) {
  // One plain request per call, no retry: anvil is local, and a retried revert could consume a snapshot twice.
  return createTestClient({mode: 'anvil', chain, transport: http(chain.rpcUrls.default.http[0], {batch: false, retryCount: 0})})
}

export type AnvilClient = ReturnType<typeof anvilClient>

/**
 * Reverts to a snapshot; false when anvil refuses (an unknown or already consumed id). viem's
 * `revert` action drops that answer, so this asks through the test client's typed request instead.
 */
export async function revertToSnapshot(client: AnvilClient, id: Hex): Promise<boolean> {
  const answer: unknown = await client.request({method: 'evm_revert', params: [id]})
  return answer !== false
}
