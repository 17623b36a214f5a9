/** The local devnet for programmatic use (src/index.ts): start in this process, status, stop, snapshots, state. */
export {
  type DevnetProgress,
  type RunningDevnet,
  type StartDevnetOptions,
  DEFAULT_L1_PORT,
  DEFAULT_L2_PORT,
  startDevnet,
} from './supervisor.js'
export {type SuperviseHooks, type SuperviseOutcome, superviseDevnet} from './supervise.js'
export {startDetached} from './detach.js'
export * from './control.js'
export {
  type DevnetChainInfo,
  type DevnetDeployment,
  type DevnetState,
  devnetStatePath,
  readDevnetState,
  readRunningDevnet,
} from './state.js'
export {type DevnetSummary, devnetSummary} from './summary.js'
export * from './errors.js'
export {type AdvanceTimeResult, type ChainClock, type MineResult, advanceTime, mineBlocks, parseDuration} from './time.js'
