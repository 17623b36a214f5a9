/**
 * Entry point of the detached devnet supervisor (`devnet start --detach` spawns it with its options as
 * JSON). It reports ready or failed to its launcher over IPC, then runs until `devnet stop`.
 * Kept free of the CLI framework so that it starts fast.
 */
import {OpenledgerError} from '../errors.js'
import type {SupervisorMessage} from './detach.js'
import {superviseDevnet} from './supervise.js'
import type {StartDevnetOptions} from './supervisor.js'

const send = (m: SupervisorMessage) => process.send?.(m)

const options = JSON.parse(process.argv[2] ?? '{}') as StartDevnetOptions
try {
  const outcome = await superviseDevnet(options, {
    onProgress: (e) => {
      if (e.stage === 'relayer-error' || e.stage === 'save-error')
        process.stderr.write(`${new Date().toISOString()} ${e.stage === 'relayer-error' ? 'relayer' : 'saving state'}: ${e.message}\n`)
      if (e.stage === 'relayed')
        process.stderr.write(`${new Date().toISOString()} relayed ${e.deposits} deposit(s), proposed ${e.outputs} output root(s)\n`)
    },
    onReady: (state) => {
      process.stderr.write(`${new Date().toISOString()} devnet ready: L1 ${state.l1.rpcUrl}, L2 ${state.l2.rpcUrl}\n`)
      send({type: 'ready', state})
      process.disconnect?.()
    },
  })
  process.stderr.write(`${new Date().toISOString()} devnet stopped (${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : ''})\n`)
  process.exitCode = outcome.reason === 'chain-exited' ? 1 : 0
} catch (err) {
  const e =
    err instanceof OpenledgerError
      ? err
      : new OpenledgerError('E_DEVNET_START', (err as Error)?.message?.split('\n')[0] ?? String(err), {cause: err})
  process.stderr.write(`${new Date().toISOString()} devnet failed to start: ${e.shortMessage}\n`)
  send({type: 'error', error: {...e.toJSON(), exitCode: e.exitCode}})
  process.exitCode = e.exitCode
}
// Idle HTTP keep-alive sockets must not hold a stopped supervisor open.
setImmediate(() => process.exit())
