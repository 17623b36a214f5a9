import {Args} from '@oclif/core'

import {toChecksumAddress} from '../../chain/address.js'
import {BaseCommand} from '../../cli/base-command.js'
import {chainFlags, chainSelection} from '../../cli/flags.js'
import {type OnChainState, type ShowResult, datanetReader, onChainState, showDatanet} from '../../datanet/index.js'

export type DatanetShowResult = ShowResult & {onChain?: OnChainState}

export default class DatanetShow extends BaseCommand<DatanetShowResult> {
  static override description =
    `Show a datanet: metadata, versions (root, records, tx), contributions, and what the chain says when it is reachable.
--json: the shape is schemas/commands/datanet-show.schema.json.`
  static override examples = ['<%= config.bin %> datanet show support-tickets --json']
  static override args = {name: Args.string({description: 'Datanet name', required: true})}
  static override flags = {...chainFlags}

  async run(): Promise<DatanetShowResult> {
    const {args, flags} = await this.parse(DatanetShow)
    const s = await showDatanet({name: args.name})
    const reader = s.chain ? await datanetReader(chainSelection(flags)) : undefined
    const onChain = reader ? await onChainState({name: args.name, chain: reader}).catch(() => undefined) : undefined
    this.log(`${s.name} (${s.modality})${s.summary ? `: ${s.summary}` : ''}`)
    if (s.tags.length) this.log(`tags: ${s.tags.join(', ')}`)
    this.log(
      s.chain
        ? `on-chain: datanet ${s.chain.datanetId} on chain ${s.chain.chainId}, owner ${s.chain.owner}`
        : 'on-chain: not registered yet',
    )
    for (const v of s.versionHistory) this.log(`v${v.version}  ${v.records} records  ${v.root}  tx ${v.txHash}`)
    if (s.staged) this.log(`${s.staged} records staged for the next version`)
    for (const c of s.contributions) this.log(`contribution #${c.id} ${c.status}: ${c.records} records from ${c.contributor}`)
    if (onChain) {
      const bad = onChain.versions.filter((v) => v.matchesLocal === false)
      this.log(
        `chain: ${onChain.versionCount} versions${bad.length ? `; MISMATCH for version ${bad.map((b) => b.version).join(', ')}` : ', roots match the local versions'}`,
      )
    }
    // Checksummed, as every address printed (the manifest keeps the registry as it was resolved).
    const registry = <T extends {registry?: string}>(x: T): T => (x.registry ? {...x, registry: toChecksumAddress(x.registry)} : x)
    return {
      ...s,
      ...(s.chain ? {chain: registry(s.chain)} : {}),
      versionHistory: s.versionHistory.map(registry),
      ...(onChain ? {onChain} : {}),
    }
  }
}
