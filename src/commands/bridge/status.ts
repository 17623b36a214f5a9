import {Args} from '@oclif/core'
import type {Hex} from 'viem'

import {BaseCommand} from '../../cli/base-command.js'
import {bridgeEndpointsFor, bridgeFlags} from '../../cli/bridge.js'
import {chainSelection} from '../../cli/flags.js'
import {formatOpen} from '../../chain/amounts.js'
import {resolveChain} from '../../chain/context.js'
import {type BridgeStatus, bridgeStatus} from '../../devnet/bridge/status.js'
import {UsageError} from '../../errors.js'

export default class BridgeStatusCommand extends BaseCommand<BridgeStatus> {
  static override description =
    `Where a bridge transfer is: a withdrawal by its L2 transaction (waiting-to-prove, ready-to-prove, waiting-to-finalize, ready-to-finalize, finalized), or a deposit by its L1 transaction (waiting-for-relay, credited).

--json: the shape is schemas/commands/bridge-status.schema.json.`
  static override examples = ['<%= config.bin %> bridge status 0x3f…c1', '<%= config.bin %> bridge status 0x3f…c1 --json']
  static override args = {
    tx: Args.string({
      description: 'Transaction hash: the L2 transaction of a withdrawal, or the L1 transaction of a deposit.',
      required: true,
    }),
  }
  static override flags = {...bridgeFlags}

  async run(): Promise<BridgeStatus> {
    const {args, flags} = await this.parse(BridgeStatusCommand)
    if (!/^0x[0-9a-fA-F]{64}$/.test(args.tx))
      throw new UsageError(`the transaction hash "${args.tx}" is not 32 bytes of hex (0x + 64 digits)`)
    const ctx = await resolveChain(chainSelection(flags))
    const status = await bridgeStatus(await bridgeEndpointsFor(ctx, flags), args.tx as Hex)
    this.log(`${status.kind} of ${formatOpen(BigInt(status.amount))} from ${status.from} to ${status.to}: ${status.stage}`)
    if (status.kind === 'withdrawal') {
      this.log(`withdrawal ${status.withdrawalHash}`)
      if (status.finalizableAt) this.log(`finalizable at ${status.finalizableAt}`)
    } else {
      this.log(`L2 tx ${status.l2TxHash}`)
    }
    return status
  }
}
