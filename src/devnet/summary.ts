import type {DevnetState} from './state.js'

/** What `devnet start --json` prints: a stable shape other tools rely on. */
export type DevnetSummary = {
  l1: {rpcUrl: string; chainId: number}
  l2: {rpcUrl: string; chainId: number}
  contracts: Record<string, string>
  accounts: Array<{address: string; privateKey: string}>
  roles: {admin: string; treasury: string; relayer: string}
  supervisorPid: number
  stateFile: string
  genesis: DevnetState['genesis']
  fork?: DevnetState['fork']
}

export function devnetSummary(state: DevnetState, stateFile = '.openledger/devnet.json'): DevnetSummary {
  return {
    l1: {rpcUrl: state.l1.rpcUrl, chainId: state.l1.chainId},
    l2: {rpcUrl: state.l2.rpcUrl, chainId: state.l2.chainId},
    contracts: state.contracts,
    accounts: state.accounts,
    roles: state.roles,
    supervisorPid: state.supervisorPid,
    stateFile,
    genesis: state.genesis,
    ...(state.fork ? {fork: state.fork} : {}),
  }
}
