import type {Address} from 'viem'

/** OP Stack predeploys on every L2, at the addresses the specs fix. */
export const L2_TO_L1_MESSAGE_PASSER: Address = '0x4200000000000000000000000000000000000016'
export const L1_BLOCK: Address = '0x4200000000000000000000000000000000000015'

/** Multicall3, at its canonical address on every chain that has it. */
export const MULTICALL3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

/** The sender of system deposits (the L1Block attribute and gas-paying-token updates). */
export const DEPOSITOR_ACCOUNT: Address = '0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001'

/**
 * Where the bridge lives, on a devnet or a public network: the same bridge code runs against both.
 * `oracle` is the L2OutputOracle withdrawals are proven against.
 */
export type BridgeEndpoints = {
  l1: {chainId: number; rpcUrl: string}
  l2: {chainId: number; rpcUrl: string}
  token: Address
  portal: Address
  oracle: Address
}
