import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {type PublishResult, datanetChain, publishDatanet} from '../../datanet/index.js'

export default class DatanetPublish extends BaseCommand<PublishResult> {
  static override description =
    `Publish the next version on-chain: the latest version plus the staged records, their Merkle root (StandardMerkleTree over [recordHash, contributor]) in DatanetRegistry.publishVersion, paying versionFee (a base plus the records of contributions approved since the last version). Registers the datanet first if the chain does not know it.
--json: the shape is schemas/commands/datanet-publish.schema.json.`
  static override examples = [
    '<%= config.bin %> datanet publish support-tickets',
    '<%= config.bin %> datanet publish support-tickets --json',
  ]
  static override args = {name: Args.string({description: 'Datanet name', required: true})}
  static override flags = {...chainFlags}

  async run(): Promise<PublishResult> {
    const {args, flags} = await this.parse(DatanetPublish)
    const r = await publishDatanet({name: args.name, chain: await datanetChain(chainSelection(flags))})
    if (!this.jsonEnabled()) {
      const {formatOpen} = await import('../../chain/amounts.js')
      if (r.registered) this.log(`Registered ${r.name} on-chain as datanet ${r.datanetId}.`)
      this.log(`Published ${r.name} version ${r.version}: ${r.records} records (${r.added} new), fee ${formatOpen(BigInt(r.fee))}.`)
      this.log(`  root ${r.root}`)
      this.log(`  tx   ${r.txHash}`)
    }
    return r
  }
}
