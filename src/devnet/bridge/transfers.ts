/** The bridge's two directions, for callers that import them from one place. */
export {type BridgeRunOptions, type DepositResult, DEPOSIT_GAS_LIMIT, depositToL2} from './deposit.js'
export {InsufficientBalanceError, RelayTimeoutError} from './errors.js'
export {type WithdrawOptions, type WithdrawResult, type WithdrawStage, WithdrawalMismatchError, withdrawToL1} from './withdraw.js'
