import type {Account, Address} from 'viem'

import type {ContractReader, ContractWriter} from '../../chain/contract.js'
import type {LayerClients} from '../clients.js'

/** One devnet layer as the chain layer's reader: its clients and the contracts deployed on it. */
export function readerOn(layer: LayerClients, contracts: Record<string, Address>): ContractReader {
  return {chain: layer.chain, publicClient: layer.public, contracts}
}

/** The same, signing as `account`. */
export function writerOn(layer: LayerClients, contracts: Record<string, Address>, account: Account): ContractWriter {
  return {...readerOn(layer, contracts), account, walletClient: layer.wallet(account)}
}
