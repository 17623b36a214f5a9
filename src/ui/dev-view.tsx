// First: it settles colour before ink (and chalk) load.
import './ink-color.js'

import {Box, Text, render} from 'ink'
import {useSyncExternalStore} from 'react'

import type {DevEvent, DevSummary} from '../dev/pipeline.js'
import type {DevView} from '../dev/watch.js'

type ViewState = {summary?: DevSummary; events: DevEvent[]; status?: string}

class Store {
  state: ViewState = {events: []}
  private listeners = new Set<() => void>()
  subscribe = (fn: () => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }
  get = () => this.state
  set(patch: Partial<ViewState>) {
    this.state = {...this.state, ...patch}
    for (const fn of this.listeners) fn()
  }
}

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex)

function DevScreen({store}: {store: Store}) {
  const {summary: s, events, status} = useSyncExternalStore(store.subscribe, store.get)
  return (
    <Box flexDirection="column">
      <Text bold>openledger dev {s ? <Text dimColor>· {s.project}</Text> : null}</Text>
      <Box marginTop={1} flexDirection="column">
        <Text color="cyan">chain</Text>
        {s?.devnet ? (
          <Text>
            {'  '}L2 {s.devnet.l2.rpcUrl} · chain {s.devnet.l2.chainId} · L1 {s.devnet.l1.rpcUrl}
          </Text>
        ) : (
          <Text dimColor>{s ? `  ${s.network}` : '  starting…'}</Text>
        )}
      </Box>
      <Box marginTop={1} flexDirection="column">
        <Text color="cyan">datanets</Text>
        {(s?.datanets ?? []).map((d) => (
          <Text key={d.name}>
            {'  '}
            {d.name.padEnd(22)} v{String(d.version).padEnd(4)} {String(d.records).padStart(6)} records {short(d.root)}{' '}
            {d.changed ? <Text color="green">published</Text> : <Text dimColor>unchanged</Text>}
          </Text>
        ))}
      </Box>
      <Box marginTop={1} flexDirection="column">
        <Text color="cyan">models</Text>
        {(s?.models ?? []).map((m) => (
          <Text key={m.name}>
            {'  '}
            {m.name.padEnd(22)} {m.valAccuracy === null ? '   n/a' : `${(m.valAccuracy * 100).toFixed(1).padStart(5)}%`}{' '}
            {m.cid ? short(m.cid) : '-'} {m.trained ? <Text color="green">trained</Text> : <Text dimColor>unchanged</Text>}
          </Text>
        ))}
      </Box>
      {s?.agent ? (
        <Box marginTop={1} flexDirection="column">
          <Text color="cyan">agent</Text>
          <Text>
            {'  '}
            {s.agent.address} staked {(Number(BigInt(s.agent.staked) / 10n ** 14n) / 1e4).toString()} OPEN
          </Text>
        </Box>
      ) : null}
      <Box marginTop={1} flexDirection="column">
        <Text color="cyan">last events</Text>
        {events.slice(-8).map((e, i) => (
          <Text key={i} dimColor={i < events.slice(-8).length - 1}>
            {'  '}
            {e.at.slice(11, 19)} {e.scope.padEnd(8)} {e.name ? `${e.name}: ` : ''}
            {e.message}
          </Text>
        ))}
      </Box>
      {status ? (
        <Box marginTop={1}>
          <Text>{status}</Text>
        </Box>
      ) : null}
      <Text dimColor>watching the config and data files · Ctrl-C stops</Text>
    </Box>
  )
}

/** The live view of `openledger dev` on a terminal (stderr, so stdout stays clean). */
export function inkDevView(): DevView {
  const store = new Store()
  const app = render(<DevScreen store={store} />, {stdout: process.stderr, exitOnCtrlC: false, patchConsole: false})
  // Once stopping, the view is unmounted (its last frame stays) and what follows prints as plain lines:
  // a frame rendered just before unmounting could be dropped, and these lines say what was left running.
  let live = true
  const time = () => new Date().toISOString().slice(11, 19)
  return {
    event: (e) => (live ? store.set({events: [...store.state.events.slice(-50), e]}) : undefined),
    summary: (summary) => (live ? store.set({summary}) : undefined),
    status: (status) => {
      if (live) store.set({status: `${time()} ${status}`})
      else process.stderr.write(`${time()} ${status}\n`)
    },
    stopping: () => {
      if (!live) return
      live = false
      app.unmount()
    },
    close: () => {
      if (live) app.unmount()
      live = false
    },
  }
}
