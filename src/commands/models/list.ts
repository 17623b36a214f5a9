import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {resolveChain} from '../../chain/context.js'
import {type ModelsList, listModels} from '../../publish/models.js'

export default class ModelsListCommand extends BaseCommand<ModelsList> {
  static override description =
    `List the models in the current network's ModelRegistry (every version: artifact CID, lineage), marking those this project published; models it published to other chains are listed from its publish journals.
With no devnet running (and no --network or --rpc-url), only this project's journals.
--json: the shape is schemas/commands/models-list.schema.json.`
  static override examples = ['<%= config.bin %> models list', '<%= config.bin %> models list --network testnet --json']
  static override flags = {...chainFlags}

  async run(): Promise<ModelsList> {
    const {flags} = await this.parse(ModelsListCommand)
    const selection = chainSelection(flags)
    const ctx = await resolveChain(selection).catch((err) => {
      // The default network is this folder's devnet: without one, what this project published still lists.
      if (err?.code === 'E_DEVNET_NOT_RUNNING' && !selection.network && !selection.rpcUrl) return undefined
      throw err
    })
    if (!ctx) this.note('No devnet running: listing what this project published, from its journals (.openledger/publish/).')
    const r = await listModels(ctx)
    if (r.network)
      this.log(
        `${r.network.name} (chain ${r.network.chainId}), ModelRegistry ${r.network.registry}: ${r.network.modelCount} model${r.network.modelCount === 1 ? '' : 's'}`,
      )
    if (r.models.length === 0) this.log('No models.')
    for (const m of r.models) {
      const where = m.onChain ? '' : `  (chain ${m.chainId}, from this project's journal)`
      this.log(
        `${m.publishedHere ? '*' : ' '} #${m.modelId} ${m.name}${m.baseModel ? `  base ${m.baseModel}` : ''}${m.owner ? `  owner ${m.owner}` : ''}${where}`,
      )
      for (const v of m.versions) {
        const lineage = v.datanets.map((d) => `datanet ${d.datanetId} v${d.version}`).join(', ')
        this.log(`    v${v.version}  ${v.cid}${lineage ? `  trained on ${lineage}` : ''}`)
      }
    }
    if (r.models.some((m) => m.publishedHere)) this.log('* published from this project')
    return r
  }
}
