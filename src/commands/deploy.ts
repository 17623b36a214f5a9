import {Flags} from '@oclif/core'
import type {Address} from 'viem'

import {BaseCommand} from '../cli/base-command.js'
import {addressFlag, chainFlags} from '../cli/flags.js'
import {UsageError} from '../errors.js'
import {deploymentsRoot} from '../chain/deployments.js'
import {stateDir} from '../store/paths.js'

export type DeployJson = {
  chainId: number
  deploymentId: string
  deploymentDir: string
  deployer: Address
  dryRun: boolean
  resumed: boolean
  contracts: Record<string, Address>
  transactions: Array<{name: string; hash: string}>
  reconciled: Array<{name: string; hash: string; nonce: number; rebroadcast: boolean}>
  fees: {
    l1FeeApplies: boolean
    maxFeePerGas: bigint
    expected: bigint
    maximum: bigint
    balance: bigint
    contracts: Array<{name: string; gas: bigint; l2Fee: bigint; l1Fee: bigint}>
  }
}

export default class Deploy extends BaseCommand<DeployJson> {
  static override description = `Deploy the protocol contracts (DatanetRegistry, ModelRegistry, Staking, InferenceSettlement) to a network.

Runs Hardhat Ignition's engine without Hardhat: a write-ahead journal in deployments/<id>/ (beside
.openledger/), so running the same command again after a crash or a kill resumes without sending any
transaction twice. Before sending, the cost is estimated in OPEN, the L1 data fee included on an OP
Stack chain, and the deployment is refused when the account cannot pay it. Addresses are written to
deployments/<id>/deployed_addresses.json, where every other command finds them for that chain.

Signs with OPENLEDGER_PRIVATE_KEY or a keystore (--keystore or OPENLEDGER_KEYSTORE, with
OPENLEDGER_KEYSTORE_PASSWORD); the devnet's well-known keys are refused.

JSON result (schemas/commands/deploy.schema.json): chainId; deploymentId; deploymentDir; deployer;
dryRun; resumed (an earlier run's journal was found); contracts (name → address); transactions (the
creation transaction of each contract); reconciled (transactions a killed run had sent, found and
recorded instead of sent again); fees (wei: expected, maximum, balance, per contract gas, L2 and L1 fee).`

  static override examples = [
    'OPENLEDGER_KEYSTORE_PASSWORD=… <%= config.bin %> deploy --network testnet --keystore ~/.openledger/deployer.json',
    '<%= config.bin %> deploy --rpc-url http://127.0.0.1:8545 --dry-run --json',
  ]

  static override flags = {
    network: chainFlags.network,
    'rpc-url': chainFlags['rpc-url'],
    'deployment-id': Flags.string({description: 'Folder under deployments/ for this deployment (default: the chain id).'}),
    keystore: Flags.string({
      description: 'Keystore (Web3 Secret Storage v3) to sign with; its password from OPENLEDGER_KEYSTORE_PASSWORD.',
      env: 'OPENLEDGER_KEYSTORE',
    }),
    treasury: addressFlag({description: 'Receives the platform fees (default: the deployer).'}),
    admin: addressFlag({description: 'Holds the admin and governance roles (default: the deployer).'}),
    confirmations: Flags.integer({description: 'Blocks to wait on each transaction (default 5; 1 on an automining node).', min: 1}),
    'with-open-token': Flags.boolean({
      description: "Deploy OPEN's ERC-20 too, for a chain whose native token is not OPEN (OpenLedger's networks pay gas in OPEN).",
    }),
    'dry-run': Flags.boolean({description: 'Estimate the cost and check the balance; send nothing.'}),
  }

  async run(): Promise<DeployJson> {
    const {flags} = await this.parse(Deploy)
    const [{resolveSigner}, {DEPLOYMENT_ID, deployProtocol}, {formatOpen}] = await Promise.all([
      import('../chain/context.js'),
      import('../deploy/deploy.js'),
      import('../chain/amounts.js'),
    ])
    const network = flags['rpc-url'] ? undefined : flags.network
    if (!flags['rpc-url'] && (network === undefined || network === 'devnet')) {
      throw new UsageError('deploy needs --network testnet|mainnet or --rpc-url: the devnet deploys its own contracts when it starts')
    }
    const id = flags['deployment-id']
    if (id !== undefined && !DEPLOYMENT_ID.test(id)) {
      throw new UsageError(`--deployment-id "${id}" must be letters, digits, '.', '_' or '-' (it names a folder under deployments/)`)
    }
    for (const flag of ['admin', 'treasury'] as const) {
      if (flags[flag] && /^0x0{40}$/.test(flags[flag])) throw new UsageError(`--${flag} cannot be the zero address`)
    }
    const env = flags.keystore ? {...process.env, OPENLEDGER_KEYSTORE: flags.keystore} : process.env
    const dir = stateDir()
    const ctx = await resolveSigner({network, rpcUrl: flags['rpc-url'], stateDir: dir}, env)
    if (ctx.devnet)
      throw new UsageError(`--rpc-url ${flags['rpc-url']} is this folder's devnet, which deploys its own contracts when it starts`)
    this.note(`Deploying to chain ${ctx.chain.id} from ${ctx.account.address} (${ctx.signerSource})`)

    const crashAfter = Number(process.env.OPENLEDGER_DEPLOY_CRASH_AFTER_SEND ?? 0)
    let sends = 0
    const result = await deployProtocol(ctx, {
      deploymentsRoot: deploymentsRoot(dir),
      deploymentId: flags['deployment-id'],
      withOpenToken: flags['with-open-token'],
      admin: flags.admin,
      treasury: flags.treasury,
      confirmations: flags.confirmations,
      dryRun: flags['dry-run'],
      onProgress: (e) => {
        if (e.type === 'estimate') {
          const est = e.estimate
          if (est.contracts.length === 0) return
          this.note(
            `Estimated cost: ${formatOpen(est.expected)} (at most ${formatOpen(est.maximum)})` +
              (est.l1FeeApplies
                ? `, L1 data fee ${formatOpen(est.contracts.reduce((s, c) => s + c.l1Fee, 0n))} included`
                : ', no L1 data fee on this chain'),
          )
        } else if (e.type === 'reconciled') {
          this.note(
            `  found ${e.tx.futureId.replace(/^.*#/, '')} already sent (${e.tx.hash}${e.tx.rebroadcast ? ', broadcast again' : ''})`,
          )
        } else if (e.type === 'sent') {
          this.note(`  ${e.name}: sent ${e.hash}`)
        } else {
          this.note(`  ${e.name}: ${e.address}`)
        }
      },
      // Fault injection for the resume tests: die as a killed process would, right after a send.
      afterSend: crashAfter > 0 ? () => void (++sends === crashAfter && process.kill(process.pid, 'SIGKILL')) : undefined,
    })
    if (result.dryRun) {
      this.log(`Dry run: ${result.deployer} holds ${formatOpen(result.balance)}; nothing sent.`)
    } else {
      const nothingLeft = result.resumed && result.estimate.contracts.length === 0 && result.reconciled.length === 0
      const what = nothingLeft ? 'Already deployed' : result.resumed ? 'Resumed and completed' : 'Deployed'
      this.log(`${what}: ${result.deploymentDir}/deployed_addresses.json (chain ${result.chainId}):`)
      for (const [name, address] of Object.entries(result.contracts)) this.log(`  ${name.padEnd(20)} ${address}`)
    }
    return {
      chainId: result.chainId,
      deploymentId: result.deploymentId,
      deploymentDir: result.deploymentDir,
      deployer: result.deployer,
      dryRun: result.dryRun,
      resumed: result.resumed,
      contracts: result.contracts,
      transactions: result.transactions,
      reconciled: result.reconciled.map((r) => ({
        name: r.futureId.replace(/^.*#/, ''),
        hash: r.hash,
        nonce: r.nonce,
        rebroadcast: r.rebroadcast,
      })),
      fees: {
        l1FeeApplies: result.estimate.l1FeeApplies,
        maxFeePerGas: result.estimate.maxFeePerGas,
        expected: result.estimate.expected,
        maximum: result.estimate.maximum,
        balance: result.balance,
        contracts: result.estimate.contracts,
      },
    }
  }
}
