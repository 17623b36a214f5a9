import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type MineResult, mineBlocks} from '../../devnet/time.js'
import {UsageError} from '../../errors.js'

export default class DevnetMine extends BaseCommand<MineResult> {
  static override description = `Mine blocks on both devnet chains (L1 and L2), without transactions.
--json: the shape is schemas/commands/devnet-mine.schema.json.`
  static override examples = ['<%= config.bin %> devnet mine', '<%= config.bin %> devnet mine 10 --json']
  static override args = {
    blocks: Args.custom<number>({
      parse: async (input) => {
        const t = input.trim()
        if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 1_000_000) {
          throw new UsageError(`blocks "${input}" is not a number of blocks (1 to 1000000)`)
        }
        return Number(t)
      },
    })({description: 'How many blocks (default 1).', default: 1}),
  }

  async run(): Promise<MineResult> {
    const {args} = await this.parse(DevnetMine)
    const r = await mineBlocks(args.blocks)
    this.log(
      `Mined ${r.blocks} block${r.blocks === 1 ? '' : 's'} on each chain: L1 at block ${r.l1.blockNumber}, L2 at block ${r.l2.blockNumber}.`,
    )
    return r
  }
}
