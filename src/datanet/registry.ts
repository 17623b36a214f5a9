/**
 * DatanetRegistry's calls and events, in the datanet's own terms. Transactions and reads go through
 * the chain layer (src/chain/contract.ts), so a revert reads the same here as everywhere else.
 */
import {type Address, type Hex, type Log, parseEventLogs} from 'viem'

import {readContract, writeContract} from '../chain/contract.js'
import {toChainError} from '../chain/revert.js'
import {DatanetRegistry} from '../contracts/artifacts/index.js'
import {OpenledgerError} from '../errors.js'
import type {DatanetChain, DatanetReader} from './chain.js'

const abi = DatanetRegistry.abi

type EventName = 'DatanetCreated' | 'VersionPublished' | 'ContributionSubmitted' | 'PublishFeePaid'

/** The one event of `eventName` a transaction must have emitted. */
function eventOf<E extends EventName>(logs: Log[], eventName: E, hash: Hex) {
  const [ev] = parseEventLogs({abi, logs, eventName})
  if (!ev) throw new OpenledgerError('E_CHAIN', `no ${eventName} event in transaction ${hash}`)
  return ev
}

/** Runs an event query; a failure names what was being read. */
async function readEvents<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query()
  } catch (err) {
    throw toChainError(err, {contract: 'DatanetRegistry', functionName: what})
  }
}

export async function registryCreateDatanet(ctx: DatanetChain, p: {name: string; metadataURI: string; modality: number}) {
  const {hash, receipt} = await writeContract(ctx, {
    contract: 'DatanetRegistry',
    functionName: 'createDatanet',
    args: [p.name, p.metadataURI, p.modality],
  })
  const ev = eventOf(receipt.logs, 'DatanetCreated', hash)
  return {datanetId: ev.args.datanetId, owner: ev.args.owner, txHash: hash, blockNumber: receipt.blockNumber}
}

/** The fee the next version pays: base plus the records of contributions approved since the last (DatanetRegistry.versionFee). */
export async function registryPublishFee(ctx: DatanetReader, datanetId: bigint): Promise<bigint> {
  return readContract(ctx, 'DatanetRegistry', 'versionFee', [datanetId])
}

export async function registryPublishVersion(
  ctx: DatanetChain,
  p: {datanetId: bigint; root: Hex; recordCount: number; byteSize: number; metadataURI: string},
) {
  const fee = await registryPublishFee(ctx, p.datanetId)
  const {hash, receipt} = await writeContract(ctx, {
    contract: 'DatanetRegistry',
    functionName: 'publishVersion',
    args: [p.datanetId, p.root, BigInt(p.recordCount), BigInt(p.byteSize), p.metadataURI],
    value: fee,
  })
  const ev = eventOf(receipt.logs, 'VersionPublished', hash)
  return {version: ev.args.version, root: ev.args.root, fee, txHash: hash, blockNumber: receipt.blockNumber}
}

/** The fee a publishVersion transaction paid (its PublishFeePaid event). */
export async function registryPublishFeePaid(ctx: DatanetReader, txHash: Hex): Promise<bigint> {
  const receipt = await readEvents('publishVersion receipt', () => ctx.publicClient.getTransactionReceipt({hash: txHash}))
  const [ev] = parseEventLogs({abi, logs: receipt.logs, eventName: 'PublishFeePaid'})
  return ev?.args.fee ?? 0n
}

export async function registrySubmitContribution(
  ctx: DatanetChain,
  p: {datanetId: bigint; contentRoot: Hex; recordCount: number; uri: string},
) {
  const {hash, receipt} = await writeContract(ctx, {
    contract: 'DatanetRegistry',
    functionName: 'submitContribution',
    args: [p.datanetId, p.contentRoot, BigInt(p.recordCount), p.uri],
  })
  const ev = eventOf(receipt.logs, 'ContributionSubmitted', hash)
  return {contributionId: ev.args.contributionId, contributor: ev.args.contributor, txHash: hash}
}

export async function registryReviewContribution(ctx: DatanetChain, p: {datanetId: bigint; contributionId: bigint; approve: boolean}) {
  const {hash} = await writeContract(ctx, {
    contract: 'DatanetRegistry',
    functionName: 'reviewContribution',
    args: [p.datanetId, p.contributionId, p.approve],
  })
  return {txHash: hash}
}

export async function registrySetCurator(ctx: DatanetChain, p: {datanetId: bigint; curator: Address; enabled: boolean}) {
  const {hash} = await writeContract(ctx, {
    contract: 'DatanetRegistry',
    functionName: 'setCurator',
    args: [p.datanetId, p.curator, p.enabled],
  })
  return {txHash: hash}
}

export async function registryGetDatanet(ctx: DatanetReader, datanetId: bigint) {
  const [owner, name, metadataURI, modality, versionCount] = await readContract(ctx, 'DatanetRegistry', 'getDatanet', [datanetId])
  return {owner, name, metadataURI, modality, versionCount}
}

export async function registryGetVersion(ctx: DatanetReader, datanetId: bigint, version: number) {
  const [root, recordCount, byteSize, metadataURI, publishedAt] = await readContract(ctx, 'DatanetRegistry', 'getVersion', [
    datanetId,
    version,
  ])
  return {root, recordCount, byteSize, metadataURI, publishedAt}
}

export type VersionEvent = {
  version: number
  root: Hex
  recordCount: bigint
  byteSize: bigint
  metadataURI: string
  txHash: Hex
  blockNumber: bigint
}

/** Every VersionPublished event of a datanet, oldest first. */
export async function registryVersionEvents(ctx: DatanetReader, datanetId: bigint): Promise<VersionEvent[]> {
  const logs = await readEvents('VersionPublished events', () =>
    ctx.publicClient.getContractEvents({
      address: ctx.registry,
      abi,
      eventName: 'VersionPublished',
      args: {datanetId},
      fromBlock: 0n,
      strict: true,
    }),
  )
  return logs.map((l) => ({
    version: Number(l.args.version),
    root: l.args.root,
    recordCount: l.args.recordCount,
    byteSize: l.args.byteSize,
    metadataURI: l.args.metadataURI,
    txHash: l.transactionHash,
    blockNumber: l.blockNumber,
  }))
}

export type ContributionEvent = {
  contributionId: bigint
  contributor: Address
  contentRoot: Hex
  recordCount: bigint
  uri: string
  txHash: Hex
  status: 'pending' | 'approved' | 'rejected'
  reviewer?: Address
  reviewTxHash?: Hex
}

/** A datanet's contributions from ContributionSubmitted and ContributionReviewed events. */
export async function registryContributions(ctx: DatanetReader, datanetId: bigint): Promise<ContributionEvent[]> {
  const [submitted, reviewed] = await readEvents('contribution events', () =>
    Promise.all([
      ctx.publicClient.getContractEvents({
        address: ctx.registry,
        abi,
        eventName: 'ContributionSubmitted',
        args: {datanetId},
        fromBlock: 0n,
        strict: true,
      }),
      ctx.publicClient.getContractEvents({
        address: ctx.registry,
        abi,
        eventName: 'ContributionReviewed',
        args: {datanetId},
        fromBlock: 0n,
        strict: true,
      }),
    ]),
  )
  const out = new Map<bigint, ContributionEvent>()
  for (const l of submitted) {
    const {contributionId, contributor, contentRoot, recordCount, uri} = l.args
    out.set(contributionId, {contributionId, contributor, contentRoot, recordCount, uri, txHash: l.transactionHash, status: 'pending'})
  }
  for (const l of reviewed) {
    const c = out.get(l.args.contributionId)
    if (c) Object.assign(c, {status: l.args.approved ? 'approved' : 'rejected', reviewer: l.args.reviewer, reviewTxHash: l.transactionHash})
  }
  return [...out.values()]
}
