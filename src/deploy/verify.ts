/**
 * Verifies a deployment's contracts on a Blockscout explorer from what the deployment folder holds:
 * Ignition's record of each contract (address, constructor arguments), the artifact it deployed and
 * that artifact's build info (standard JSON input and compiler), so the sources submitted are the
 * ones deployed even when contracts/ has changed since.
 */
import {join} from 'node:path'

import {type Abi, type Address, encodeAbiParameters} from 'viem'

import {getVerificationInformation} from '@nomicfoundation/ignition-core'

import {UsageError} from '../errors.js'
import {readJsonFile} from '../store/atomic.js'
import {VerificationFailedError} from './errors.js'
import {type ExplorerApi, checkVerification, isVerified, submitVerification} from './explorer-api.js'

export type VerifyOutcome = {name: string; address: Address; contract: string; status: 'verified' | 'already-verified'}

export type VerifyOptions = {
  deploymentDir: string
  api: ExplorerApi
  /** Between checkverifystatus polls. */
  pollIntervalMs?: number
  /** How long to wait for one contract's verification job. */
  timeoutMs?: number
  onProgress?: (o: VerifyOutcome | {name: string; address: Address; status: 'submitted'}) => void
}

type StoredArtifact = {contractName: string; sourceName: string; abi: Abi; buildInfoId?: string}
type StoredBuildInfo = {solcLongVersion: string; input: unknown}

export async function verifyDeployment(opts: VerifyOptions): Promise<VerifyOutcome[]> {
  const {deploymentDir, api} = opts
  const outcomes: VerifyOutcome[] = []
  const infos = []
  try {
    for await (const info of getVerificationInformation(deploymentDir)) infos.push(info)
  } catch (err) {
    throw new UsageError(`${deploymentDir} holds no completed deployment to verify`, {cause: err})
  }
  for (const info of infos) {
    // A string is a future whose artifact is missing from the folder.
    if (typeof info === 'string')
      throw new UsageError(`${join(deploymentDir, 'artifacts', `${info}.json`)} is missing: cannot verify ${info}`)
    const futureId = Object.entries(readJsonFile<Record<string, string>>(join(deploymentDir, 'deployed_addresses.json')) ?? {}).find(
      ([, a]) => a.toLowerCase() === info.address.toLowerCase(),
    )?.[0]
    const artifactPath = join(deploymentDir, 'artifacts', `${futureId}.json`)
    const artifact = futureId ? readJsonFile<StoredArtifact>(artifactPath) : undefined
    if (!artifact?.buildInfoId) throw new UsageError(`${artifactPath} is missing or names no build info: cannot verify ${info.contract}`)
    const buildInfoPath = join(deploymentDir, 'build-info', `${artifact.buildInfoId}.json`)
    const buildInfo = readJsonFile<StoredBuildInfo>(buildInfoPath)
    if (!buildInfo) throw new UsageError(`${buildInfoPath} is missing: cannot verify ${info.contract}`)
    const name = artifact.contractName
    const address = info.address as Address
    if (await isVerified(api, address)) {
      const o: VerifyOutcome = {name, address, contract: info.contract, status: 'already-verified'}
      opts.onProgress?.(o)
      outcomes.push(o)
      continue
    }
    const ctor = artifact.abi.find((x) => x.type === 'constructor')
    const args = ctor && 'inputs' in ctor && ctor.inputs.length ? encodeAbiParameters(ctor.inputs, info.constructorArgs as never[]) : '0x'
    const submitted = await submitVerification(api, {
      address,
      contractName: info.contract,
      compilerVersion: `v${buildInfo.solcLongVersion}`,
      standardJson: JSON.stringify(buildInfo.input),
      constructorArguments: args.slice(2),
    })
    if ('guid' in submitted) {
      opts.onProgress?.({name, address, status: 'submitted'})
      await waitForJob(api, submitted.guid, `${info.contract} at ${address}`, opts)
    }
    const o: VerifyOutcome = {name, address, contract: info.contract, status: 'guid' in submitted ? 'verified' : 'already-verified'}
    opts.onProgress?.(o)
    outcomes.push(o)
  }
  return outcomes
}

async function waitForJob(api: ExplorerApi, guid: string, what: string, opts: VerifyOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000)
  for (;;) {
    const s = await checkVerification(api, guid)
    if (s.state === 'verified') return
    if (s.state === 'failed') throw new VerificationFailedError(`the explorer could not verify ${what}: ${s.reason}`)
    if (Date.now() > deadline)
      throw new VerificationFailedError(
        `the explorer had not verified ${what} after ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s (job ${guid})`,
      )
    await new Promise((r) => setTimeout(r, opts.pollIntervalMs ?? 1_000))
  }
}
