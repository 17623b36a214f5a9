import {Args} from '@oclif/core'

import {BaseCommand} from '../../../cli/base-command.js'
import {type AdvanceTimeResult, advanceTime, parseDuration} from '../../../devnet/time.js'

export default class DevnetTimeAdvance extends BaseCommand<AdvanceTimeResult> {
  static override description =
    `Move both devnet chains' clocks forward (L1 and L2 together) and mine a block on each, so cooldowns and unlock times pass: \`stake withdraw --complete\` after \`devnet time advance 7d\`.
--json: the shape is schemas/commands/devnet-time-advance.schema.json.`
  static override examples = ['<%= config.bin %> devnet time advance 7d', '<%= config.bin %> devnet time advance 1h30m --json']
  static override args = {
    duration: Args.custom<number>({parse: async (input) => parseDuration(input)})({
      description: 'How far: seconds (3600) or with units s, m, h, d, w (90s, 1h, 7d, 1h30m).',
      required: true,
    }),
  }

  async run(): Promise<AdvanceTimeResult> {
    const {args} = await this.parse(DevnetTimeAdvance)
    const r = await advanceTime(args.duration)
    this.log(`Advanced ${formatSeconds(r.seconds)}:`)
    this.log(`L1  block ${r.l1.blockNumber}  ${r.l1.time}`)
    this.log(`L2  block ${r.l2.blockNumber}  ${r.l2.time}`)
    return r
  }
}

/** "7 d", "1 h 30 min", "45 s": the largest units that divide it. */
function formatSeconds(total: number): string {
  const parts: string[] = []
  let rest = total
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`)
      rest %= size
    }
  }
  return parts.join(' ')
}
