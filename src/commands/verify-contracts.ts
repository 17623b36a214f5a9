import {join} from 'node:path'

import {Flags} from '@oclif/core'
import type {Address} from 'viem'

import {BaseCommand} from '../cli/base-command.js'
import {chainFlags} from '../cli/flags.js'
import {deploymentDirForChain, deploymentsRoot} from '../chain/deployments.js'
import {ExitCode, OpenledgerError, UsageError} from '../errors.js'
import {stateDir} from '../store/paths.js'

export type VerifyContractsJson = {
  chainId: number
  deploymentDir: string
  explorerApi: string
  contracts: Array<{name: string; address: Address; contract: string; status: 'verified' | 'already-verified'}>
}

export default class VerifyContracts extends BaseCommand<VerifyContractsJson> {
  static override description = `Verify a deployment's contracts on a Blockscout explorer.

Submits each contract of the deployment (deployments/<id>/, as \`openledger deploy\` wrote it) as
standard JSON to the explorer's Etherscan-compatible API (<explorer>/api: verifysourcecode, then
checkverifystatus until done), with the sources and compiler the deployment recorded; contracts the
explorer already shows as verified (getsourcecode) are skipped.

JSON result (schemas/commands/verify-contracts.schema.json): chainId; deploymentDir; explorerApi;
contracts (name, address, contract "Source.sol:Name", status "verified" or "already-verified").`

  static override examples = [
    '<%= config.bin %> verify-contracts --network testnet --explorer-url https://testnet.openledger.xyz',
    '<%= config.bin %> verify-contracts --rpc-url http://127.0.0.1:8545 --explorer-url http://127.0.0.1:4000 --json',
  ]

  static override flags = {
    network: chainFlags.network,
    'rpc-url': chainFlags['rpc-url'],
    'explorer-url': Flags.string({description: 'The Blockscout explorer (its /api is used) or its API URL.', required: true}),
    'api-key': Flags.string({description: 'Explorer API key, where the explorer asks for one.', env: 'OPENLEDGER_EXPLORER_API_KEY'}),
    'deployment-id': Flags.string({description: 'Folder under deployments/ (default: the one deployed to this chain).'}),
  }

  async run(): Promise<VerifyContractsJson> {
    const {flags} = await this.parse(VerifyContracts)
    const [{resolveChain}, {verifyDeployment}, {explorerApiUrl}] = await Promise.all([
      import('../chain/context.js'),
      import('../deploy/verify.js'),
      import('../deploy/explorer-api.js'),
    ])
    let url: string
    try {
      url = explorerApiUrl(flags['explorer-url'])
    } catch {
      throw new UsageError(`--explorer-url "${flags['explorer-url']}" is not a URL`)
    }
    const dir = stateDir()
    const network = flags['rpc-url'] ? undefined : flags.network
    if (!flags['rpc-url'] && (network === undefined || network === 'devnet')) {
      throw new UsageError('verify-contracts needs --network testnet|mainnet or --rpc-url: the chain whose deployment to verify')
    }
    const ctx = await resolveChain({network, rpcUrl: flags['rpc-url'], stateDir: dir})
    const deploymentDir = flags['deployment-id']
      ? join(deploymentsRoot(dir), flags['deployment-id'])
      : deploymentDirForChain(dir, ctx.chain.id)
    if (!deploymentDir) {
      throw new OpenledgerError('E_NO_DEPLOYMENT', `no deployment for chain ${ctx.chain.id} under ${deploymentsRoot(dir)}`, {
        exitCode: ExitCode.state,
        metaMessages: ['Deploy first: openledger deploy --network … or --rpc-url …'],
      })
    }
    const contracts = await verifyDeployment({
      deploymentDir,
      api: {url, apiKey: flags['api-key']},
      onProgress: (o) => {
        if (o.status === 'submitted') this.note(`  ${o.name} ${o.address}: submitted`)
        else this.note(`  ${o.name} ${o.address}: ${o.status === 'verified' ? 'verified' : 'already verified, skipped'}`)
      },
    })
    this.log(
      `${contracts.length} contracts verified on ${url} (${contracts.filter((c) => c.status === 'already-verified').length} already were)`,
    )
    return {chainId: ctx.chain.id, deploymentDir, explorerApi: url, contracts}
  }
}
