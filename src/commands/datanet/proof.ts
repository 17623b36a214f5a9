import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type ProofResult, datanetProof} from '../../datanet/index.js'

export default class DatanetProof extends BaseCommand<ProofResult> {
  static override description =
    `The Merkle proof of one record in a version, for StandardMerkleTree.verify(root, ['bytes32','address'], leaf, proof) or OpenZeppelin's MerkleProof.verify on-chain.
--json: the shape is schemas/commands/datanet-proof.schema.json.`
  static override examples = ['<%= config.bin %> datanet proof support-tickets 0x3f…c1 --json']
  static override args = {
    name: Args.string({description: 'Datanet name', required: true}),
    recordHash: Args.string({description: 'The record hash (from `datanet records`)', required: true}),
  }
  static override flags = {version: Flags.string({description: 'Version number, latest or draft.'})}

  async run(): Promise<ProofResult> {
    const {args, flags} = await this.parse(DatanetProof)
    const r = await datanetProof({name: args.name, recordHash: args.recordHash, version: flags.version})
    this.log(`root  ${r.root} (version ${r.version})`)
    this.log(`leaf  [${r.leaf[0]}, ${r.leaf[1]}]`)
    for (const p of r.proof) this.log(`proof ${p}`)
    return r
  }
}
