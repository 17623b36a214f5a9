import {
  type Account,
  type Address,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
  createPublicClient,
  createWalletClient,
  http,
} from 'viem'

import {UsageError} from '../errors.js'
import {DevnetNotRunningError} from '../devnet/errors.js'
import {type DevnetState, devnetStatePath, readRunningDevnet} from '../devnet/state.js'
import {stateDir} from '../store/paths.js'
import {deployedAddresses} from './deployments.js'
import {devAccounts} from './dev-accounts.js'
import {UnknownContractError} from './errors.js'
import {signerAccount} from './signer.js'
import {type NetworkName, devnetChain, openledgerMainnet, openledgerTestnet} from './networks.js'

export type ChainSelection = {
  /** devnet (default when this folder runs one), testnet or mainnet. */
  network?: NetworkName
  /** A custom RPC endpoint; its chain id is asked from the node. */
  rpcUrl?: string
  /** Devnet dev account index (devnet only). */
  account?: number
  /** Folder holding .openledger/ state; defaults to the current one. */
  stateDir?: string
}

export type ChainContext = {
  network: NetworkName | 'custom'
  chain: Chain
  publicClient: PublicClient<Transport, Chain>
  /** The running devnet of this folder, when the L2 is the devnet's. */
  devnet?: DevnetState
  /** Contract name → address on this chain. */
  contracts: Record<string, Address>
  /** Where the signer comes from, for messages: never the key itself. */
  signerSource?: string
}

export type SignerContext = ChainContext & {
  account: Account
  walletClient: WalletClient<Transport, Chain, Account>
}

/**
 * Resolves which L2 to talk to: an RPC URL, else a network name, else the devnet this folder runs.
 * Every command that touches the chain goes through here, so the devnet-key rule is enforced once.
 */
export async function resolveChain(sel: ChainSelection = {}): Promise<ChainContext> {
  const dir = sel.stateDir ?? stateDir()
  const network = sel.network ?? (sel.rpcUrl ? undefined : 'devnet')
  if (network === 'devnet' && !sel.rpcUrl) {
    const devnet = readRunningDevnet(dir)
    if (!devnet) throw new DevnetNotRunningError(devnetStatePath(dir))
    const chain = devnetChain(devnet.l2.chainId, devnet.l2.rpcUrl, 'l2')
    return {network: 'devnet', chain, publicClient: createPublicClient({chain, transport: http()}), devnet, contracts: devnet.contracts}
  }
  let chain: Chain
  if (sel.rpcUrl) {
    const probe = createPublicClient({transport: http(sel.rpcUrl)})
    let chainId: number
    try {
      chainId = await probe.getChainId()
    } catch (err) {
      throw new UsageError(`the RPC endpoint ${sel.rpcUrl} does not answer eth_chainId`, {cause: err})
    }
    const devnet = readRunningDevnet(dir)
    if (devnet && devnet.l2.chainId === chainId) {
      const c = devnetChain(chainId, sel.rpcUrl, 'l2')
      return {
        network: 'devnet',
        chain: c,
        publicClient: createPublicClient({chain: c, transport: http()}),
        devnet,
        contracts: devnet.contracts,
      }
    }
    chain = {
      ...(chainId === openledgerMainnet.id
        ? openledgerMainnet
        : chainId === openledgerTestnet.id
          ? openledgerTestnet
          : devnetChain(chainId, sel.rpcUrl, 'l2')),
      rpcUrls: {default: {http: [sel.rpcUrl]}},
    }
  } else {
    chain = network === 'mainnet' ? openledgerMainnet : openledgerTestnet
  }
  const contracts = deployedAddresses(dir, chain.id)
  return {
    network: sel.rpcUrl ? 'custom' : (network as NetworkName),
    chain,
    publicClient: createPublicClient({chain, transport: http(sel.rpcUrl)}),
    contracts,
  }
}

/** Adds the signer (src/chain/signer.ts says who signs) and a wallet client for it. */
export async function resolveSigner(sel: ChainSelection = {}, env: NodeJS.ProcessEnv = process.env): Promise<SignerContext> {
  const ctx = await resolveChain(sel)
  const onDevnet = ctx.devnet !== undefined && ctx.devnet.l2.chainId === ctx.chain.id
  const {account, source} = signerAccount(
    {
      onDevnet,
      chainId: ctx.chain.id,
      network: ctx.network,
      devKeys: onDevnet ? ctx.devnet!.accounts.map((a) => a.privateKey) : [],
      account: sel.account,
    },
    env,
  )
  const walletClient = createWalletClient({account, chain: ctx.chain, transport: http(ctx.chain.rpcUrls.default.http[0])})
  return {...ctx, account, walletClient, signerSource: source}
}

/**
 * The address that signs for this selection: the same account `resolveSigner` gives. With no devnet
 * running (staging records offline), the devnet's dev accounts are the well-known ones, so the
 * address is known without a chain.
 */
export async function signerAddress(sel: ChainSelection = {}, env: NodeJS.ProcessEnv = process.env): Promise<Address> {
  const devnetDefault = (sel.network ?? (sel.rpcUrl ? undefined : 'devnet')) === 'devnet' && !sel.rpcUrl
  if (devnetDefault && !readRunningDevnet(sel.stateDir ?? stateDir())) {
    const devKeys = devAccounts().map((a) => a.privateKey)
    return signerAccount({onDevnet: true, chainId: 0, network: 'devnet', devKeys, account: sel.account}, env).account.address
  }
  return (await resolveSigner(sel, env)).account.address
}

/** A contract's address on the resolved chain, or a clear error. */
export function contractAddress(ctx: Pick<ChainContext, 'contracts' | 'chain' | 'devnet'>, name: string): Address {
  const address = ctx.contracts[name]
  if (!address)
    throw new UnknownContractError(
      name,
      ctx.devnet
        ? 'the devnet (restart it to deploy new contracts)'
        : `chain ${ctx.chain.id} (no deployment under deployments/ names it: run \`openledger deploy\` for that chain)`,
    )
  return address
}

export {devAccounts}
