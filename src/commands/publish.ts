import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {chainFlags, chainSelection} from '../cli/flags.js'
import {resolveSigner} from '../chain/context.js'
import {type PublishModelReturnType, publishModel} from '../publish/publish.js'

export default class Publish extends BaseCommand<PublishModelReturnType> {
  static override description =
    `Publish a trained model: name its folder by its IPFS CID, keep its blocks in the local content store, and register it in ModelRegistry with its lineage.

The CID is what \`ipfs add -r --cid-version 1 <folder>\` prints. Resumable: run it again after an
interruption and it finishes the job without registering anything twice.

JSON result (schemas/commands/publish.schema.json): cid; modelId (decimal string); version; txHash (of registerVersion); name; owner;
baseModel; configHash; datanets [{datanetId, version, root}]; did (steps this run did); alreadyRegistered; ipfs?.`
  static override examples = [
    '<%= config.bin %> publish --model .openledger/models/support-tickets-v1-1a2b3c4d',
    '<%= config.bin %> publish --model ./model --name support-router --json',
    '<%= config.bin %> publish --model ./model --ipfs-api http://127.0.0.1:5001',
  ]
  static override flags = {
    ...chainFlags,
    model: Flags.string({description: 'Model artifact folder (written by `openledger train`).', required: true}),
    name: Flags.string({
      description: 'Registered model name (default: <datanet>-classifier); an existing name of yours gets a new version.',
    }),
    'ipfs-api': Flags.string({description: 'Kubo RPC API to push the blocks to (e.g. http://127.0.0.1:5001).', env: 'OPENLEDGER_IPFS_API'}),
  }

  async run(): Promise<PublishModelReturnType> {
    const {flags} = await this.parse(Publish)
    const ctx = await resolveSigner(chainSelection(flags))
    const labels = {stored: 'stored blocks', pushed: 'pushed to IPFS', model: 'model registered', version: 'version registered'}
    const r = await publishModel(ctx, {
      folder: flags.model,
      name: flags.name,
      ipfsApi: flags['ipfs-api'],
      onStep: (s) => this.note(`✓ ${labels[s]}`),
    })
    this.log(`${r.cid}`)
    this.log(
      `${r.name}: model ${r.modelId} version ${r.version}${r.alreadyRegistered ? ' (already registered)' : ''}${r.txHash ? `, tx ${r.txHash}` : ''}`,
    )
    for (const d of r.datanets) this.log(`  trained on datanet ${d.datanetId} v${d.version} (root ${d.root})`)
    return r
  }
}
