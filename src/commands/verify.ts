import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {chainFlags, chainSelection} from '../cli/flags.js'
import {resolveChain} from '../chain/context.js'
import {VerifyFailedError} from '../publish/errors.js'
import {type VerifyModelReturnType, verifyModel} from '../publish/verify.js'

export default class Verify extends BaseCommand<VerifyModelReturnType> {
  static override description = `Verify a model folder (or the folder of a CID in the local store) against the chain.

Recomputes the CID, looks for a ModelVersionRegistered event with it, and checks the lineage: the
datanet root on-chain equals training.json's, and the config hash equals the hash of training.json's
config (and the registered one). Exit 1 naming what differs; with --cid and that CID in the store,
the files that differ are named too.

JSON result (schemas/commands/verify.schema.json): ok; cid; source (folder or store); registered [{modelId, version, name, txHash}];
checks [{check, ok, message}]. A failure is an E_VERIFY_FAILED error whose details list the checks.`
  static override examples = [
    '<%= config.bin %> verify ./model',
    '<%= config.bin %> verify ./model --cid bafybei…',
    '<%= config.bin %> verify bafybei… --json',
  ]
  static override args = {target: Args.string({description: 'Model folder or CID.', required: true})}
  static override flags = {
    ...chainFlags,
    cid: Flags.string({description: 'The CID the folder must have.'}),
  }

  async run(): Promise<VerifyModelReturnType> {
    const {args, flags} = await this.parse(Verify)
    const ctx = await resolveChain(chainSelection(flags))
    const r = await verifyModel(ctx, {target: args.target, expectedCid: flags.cid})
    for (const c of r.checks) this.log(`${c.ok ? '✓' : '✗'} ${c.check}: ${c.message}`)
    if (!r.ok) {
      const failed = r.checks.filter((c) => !c.ok)
      throw new VerifyFailedError(
        `verify failed: ${failed.map((c) => `${c.check}: ${c.message}`).join('; ')}`,
        r.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'} ${c.check}: ${c.message}`).join('\n'),
      )
    }
    return r
  }
}
