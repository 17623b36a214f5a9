import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  parseEventLogs,
} from 'viem'

import {RegistryCallError} from './errors.js'
import {DatanetRegistry} from '../contracts/artifacts/index.js'

const abi = DatanetRegistry.abi

/** What talking to DatanetRegistry needs: clients, the signer and the registry's address. */
export type RegistryContext = {
  publicClient: PublicClient<Transport, Chain>
  walletClient?: WalletClient<Transport, Chain, Account>
  registry: Address
}

export type SignedRegistryContext = RegistryContext & {walletClient: WalletClient<Transport, Chain, Account>}

async function send(ctx: SignedRegistryContext, action: string, request: {address: Address; abi: typeof abi; functionName: string; args: readonly unknown[]; value?: bigint}) {
  try {
    // Simulate first: a revert is reported with its reason and no transaction is sent.
    const {request: req} = await ctx.publicClient.simulateContract({...request, account: ctx.walletClient.account} as never)
    const hash = await ctx.walletClient.writeContract(req as never)
    const receipt = await ctx.publicClient.waitForTransactionReceipt({hash})
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`)
    return receipt
  } catch (err) {
    throw new RegistryCallError(action, err)
  }
}

export async function registryCreateDatanet(ctx: SignedRegistryContext, p: {name: string; metadataURI: string; modality: number}) {
  const receipt = await send(ctx, 'createDatanet', {address: ctx.registry, abi, functionName: 'createDatanet', args: [p.name, p.metadataURI, p.modality]})
  const [ev] = parseEventLogs({abi, logs: receipt.logs, eventName: 'DatanetCreated'})
  if (!ev) throw new RegistryCallError('createDatanet', new Error(`no DatanetCreated event in ${receipt.transactionHash}`))
  return {datanetId: ev.args.datanetId, owner: ev.args.owner, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber}
}

export async function registryPublishFee(ctx: RegistryContext, byteSize: number, recordCount: number): Promise<bigint> {
  try {
    return await ctx.publicClient.readContract({address: ctx.registry, abi, functionName: 'publishFee', args: [BigInt(byteSize), BigInt(recordCount)]})
  } catch (err) {
    throw new RegistryCallError('publishFee', err)
  }
}

export async function registryPublishVersion(
  ctx: SignedRegistryContext,
  p: {datanetId: bigint; root: Hex; recordCount: number; byteSize: number; metadataURI: string},
) {
  const fee = await registryPublishFee(ctx, p.byteSize, p.recordCount)
  const receipt = await send(ctx, 'publishVersion', {
    address: ctx.registry,
    abi,
    functionName: 'publishVersion',
    args: [p.datanetId, p.root, BigInt(p.recordCount), BigInt(p.byteSize), p.metadataURI],
    value: fee,
  })
  const [ev] = parseEventLogs({abi, logs: receipt.logs, eventName: 'VersionPublished'})
  if (!ev) throw new RegistryCallError('publishVersion', new Error(`no VersionPublished event in ${receipt.transactionHash}`))
  return {version: ev.args.version, root: ev.args.root, fee, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber}
}

/** The fee a publishVersion transaction paid (its PublishFeePaid event). */
export async function registryPublishFeePaid(ctx: RegistryContext, txHash: Hex): Promise<bigint> {
  const receipt = await ctx.publicClient.getTransactionReceipt({hash: txHash})
  const [ev] = parseEventLogs({abi, logs: receipt.logs, eventName: 'PublishFeePaid'})
  return ev?.args.fee ?? 0n
}

export async function registrySubmitContribution(ctx: SignedRegistryContext, p: {datanetId: bigint; contentRoot: Hex; recordCount: number; uri: string}) {
  const receipt = await send(ctx, 'submitContribution', {
    address: ctx.registry,
    abi,
    functionName: 'submitContribution',
    args: [p.datanetId, p.contentRoot, BigInt(p.recordCount), p.uri],
  })
  const [ev] = parseEventLogs({abi, logs: receipt.logs, eventName: 'ContributionSubmitted'})
  if (!ev) throw new RegistryCallError('submitContribution', new Error(`no ContributionSubmitted event in ${receipt.transactionHash}`))
  return {contributionId: ev.args.contributionId, contributor: ev.args.contributor, txHash: receipt.transactionHash}
}

export async function registryReviewContribution(ctx: SignedRegistryContext, p: {datanetId: bigint; contributionId: bigint; approve: boolean}) {
  const receipt = await send(ctx, 'reviewContribution', {
    address: ctx.registry,
    abi,
    functionName: 'reviewContribution',
    args: [p.datanetId, p.contributionId, p.approve],
  })
  return {txHash: receipt.transactionHash}
}

export async function registrySetCurator(ctx: SignedRegistryContext, p: {datanetId: bigint; curator: Address; enabled: boolean}) {
  const receipt = await send(ctx, 'setCurator', {address: ctx.registry, abi, functionName: 'setCurator', args: [p.datanetId, p.curator, p.enabled]})
  return {txHash: receipt.transactionHash}
}

export async function registryGetDatanet(ctx: RegistryContext, datanetId: bigint) {
  try {
    const [owner, name, metadataURI, modality, versionCount] = await ctx.publicClient.readContract({
      address: ctx.registry,
      abi,
      functionName: 'getDatanet',
      args: [datanetId],
    })
    return {owner, name, metadataURI, modality, versionCount}
  } catch (err) {
    throw new RegistryCallError('getDatanet', err)
  }
}

export async function registryGetVersion(ctx: RegistryContext, datanetId: bigint, version: number) {
  try {
    const [root, recordCount, byteSize, metadataURI, publishedAt] = await ctx.publicClient.readContract({
      address: ctx.registry,
      abi,
      functionName: 'getVersion',
      args: [datanetId, version],
    })
    return {root, recordCount, byteSize, metadataURI, publishedAt}
  } catch (err) {
    throw new RegistryCallError('getVersion', err)
  }
}

export type VersionEvent = {version: number; root: Hex; recordCount: bigint; byteSize: bigint; metadataURI: string; txHash: Hex; blockNumber: bigint}

/** Every VersionPublished event of a datanet, oldest first. */
export async function registryVersionEvents(ctx: RegistryContext, datanetId: bigint): Promise<VersionEvent[]> {
  try {
    const logs = await ctx.publicClient.getContractEvents({address: ctx.registry, abi, eventName: 'VersionPublished', args: {datanetId}, fromBlock: 0n})
    return logs.map((l) => ({
      version: Number(l.args.version),
      root: l.args.root!,
      recordCount: l.args.recordCount!,
      byteSize: l.args.byteSize!,
      metadataURI: l.args.metadataURI!,
      txHash: l.transactionHash,
      blockNumber: l.blockNumber,
    }))
  } catch (err) {
    throw new RegistryCallError('reading VersionPublished events', err)
  }
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
export async function registryContributions(ctx: RegistryContext, datanetId: bigint): Promise<ContributionEvent[]> {
  try {
    const [submitted, reviewed] = await Promise.all([
      ctx.publicClient.getContractEvents({address: ctx.registry, abi, eventName: 'ContributionSubmitted', args: {datanetId}, fromBlock: 0n}),
      ctx.publicClient.getContractEvents({address: ctx.registry, abi, eventName: 'ContributionReviewed', args: {datanetId}, fromBlock: 0n}),
    ])
    const out = new Map<bigint, ContributionEvent>()
    for (const l of submitted) {
      out.set(l.args.contributionId!, {
        contributionId: l.args.contributionId!,
        contributor: l.args.contributor!,
        contentRoot: l.args.contentRoot!,
        recordCount: l.args.recordCount!,
        uri: l.args.uri!,
        txHash: l.transactionHash,
        status: 'pending',
      })
    }
    for (const l of reviewed) {
      const c = out.get(l.args.contributionId!)
      if (c) Object.assign(c, {status: l.args.approved ? 'approved' : 'rejected', reviewer: l.args.reviewer, reviewTxHash: l.transactionHash})
    }
    return [...out.values()]
  } catch (err) {
    throw new RegistryCallError('reading contribution events', err)
  }
}
