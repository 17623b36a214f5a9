import {execFile} from 'node:child_process'
import {existsSync, statfsSync} from 'node:fs'
import {promisify} from 'node:util'

import {resolveAnvilBinary} from '../devnet/anvil-binary.js'
import {devnetStatus} from '../devnet/control.js'
import {type Device, probeDevice} from '../model/backend.js'
import type {PortalInfo} from '../devnet/bridge/portal.js'
import {stateDir} from '../store/paths.js'
import type {BridgeTarget} from './network.js'

const run = promisify(execFile)

export type Check = {name: string; ok: boolean; detail: string; hint?: string}

export type DoctorReport = {
  ok: boolean
  checks: Check[]
  node: string
  anvil?: string
  onnxruntime: Record<Device, boolean>
  gpu?: string
  devnet: 'running' | 'stopped'
  /** The bridge of the network asked about (doctor --network), as its portal reports it. */
  bridge?: PortalInfo
}

export type DoctorOptions = {
  /** Also ask this network's bridge, live. */
  bridge?: BridgeTarget
}

const REQUIRED_NODE_MAJOR = 20

/** Everything openledger needs, checked for real: a version printed, a session run, a chain asked. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const checks: Check[] = []
  const major = Number(process.versions.node.split('.')[0])
  checks.push({
    name: 'node',
    ok: major >= REQUIRED_NODE_MAJOR,
    detail: `v${process.versions.node}`,
    ...(major >= REQUIRED_NODE_MAJOR ? {} : {hint: `openledger needs Node ${REQUIRED_NODE_MAJOR} or newer`}),
  })

  let anvil: string | undefined
  try {
    const bin = resolveAnvilBinary()
    const {stdout} = await run(bin, ['--version'])
    anvil = stdout.split('\n')[0].trim()
    checks.push({name: 'anvil', ok: true, detail: `${anvil} (${bin})`})
  } catch (err) {
    checks.push({name: 'anvil', ok: false, detail: (err as Error).message.split('\n')[0], hint: 'npm ci installs it (@foundry-rs/anvil)'})
  }

  const onnxruntime = {} as Record<Device, boolean>
  for (const device of ['cpu', 'webgpu', 'cuda'] as const) {
    const probe = await probeDevice(device)
    onnxruntime[device] = probe.ok
    checks.push({
      name: `onnxruntime:${device}`,
      // Only the CPU provider is required; the GPU ones are optional accelerators.
      ok: device === 'cpu' ? probe.ok : true,
      detail: probe.ok ? 'available' : `not available: ${probe.reason ?? 'unknown'}`,
    })
  }

  const gpu = await detectGpu()
  checks.push({name: 'gpu', ok: true, detail: gpu ?? 'none found (training and inference run on the CPU)'})

  try {
    const fs = statfsSync(process.cwd())
    const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30
    checks.push({
      name: 'disk',
      ok: freeGiB > 1,
      detail: `${freeGiB.toFixed(1)} GiB free in ${process.cwd()}`,
      ...(freeGiB > 1 ? {} : {hint: 'free some space: models and devnet states need room'}),
    })
  } catch (err) {
    checks.push({name: 'disk', ok: false, detail: (err as Error).message})
  }

  let devnet: 'running' | 'stopped' = 'stopped'
  try {
    const status = await devnetStatus()
    devnet = status.running ? 'running' : 'stopped'
    checks.push({
      name: 'devnet',
      ok: true,
      detail: status.running ? `running: L2 ${status.l2.rpcUrl} at block ${status.l2.blockNumber}` : `not running (${stateDir()})`,
    })
  } catch (err) {
    checks.push({
      name: 'devnet',
      ok: false,
      detail: (err as Error).message.split('\n')[0],
      hint: '`openledger devnet stop`, then start it again',
    })
  }

  let bridge: PortalInfo | undefined
  if (options.bridge) {
    // Loaded only when asked: viem and the OP Stack ABIs are most of a plain doctor run otherwise.
    const {checkBridge} = await import('./network.js')
    const network = await checkBridge(options.bridge)
    checks.push(...network.checks)
    bridge = network.bridge
  }

  return {ok: checks.every((c) => c.ok), checks, node: process.versions.node, anvil, onnxruntime, gpu, devnet, ...(bridge ? {bridge} : {})}
}

async function detectGpu(): Promise<string | undefined> {
  try {
    const {stdout} = await run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], {timeout: 5000})
    const line = stdout.trim().split('\n')[0]
    if (line) return `NVIDIA ${line}`
  } catch {}
  if (existsSync('/dev/dri/renderD128')) return 'a DRM render node (/dev/dri/renderD128)'
  return undefined
}
