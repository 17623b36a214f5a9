import {BaseCommand} from '../cli/base-command.js'
import {addressArg, chainFlags, chainSelection} from '../cli/flags.js'
import {type Balances, balances} from '../chain/balance.js'
import {resolveSubject} from '../protocol/subject.js'

export default class Balance extends BaseCommand<Balances> {
  static override description =
    `Show an address's OPEN on the L2 (native) and, on the devnet, on its L1 (the OpenToken ERC-20, with the ETH that pays L1 gas).
Without an address, the signing account's (OPENLEDGER_PRIVATE_KEY, else OPENLEDGER_KEYSTORE, else dev account --account, default 0).
--json: the shape is schemas/commands/balance.schema.json; amounts in wei (decimal strings) and in OPEN.`
  static override examples = [
    '<%= config.bin %> balance',
    '<%= config.bin %> balance 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json',
    '<%= config.bin %> balance --account 1',
  ]
  static override args = {address: addressArg({description: 'Address to show (default: the signing account).'})}
  static override flags = {...chainFlags}

  async run(): Promise<Balances> {
    const {args, flags} = await this.parse(Balance)
    const subject = await resolveSubject(chainSelection(flags), args.address)
    const b = await balances(subject.ctx, subject.address)
    this.log(b.address)
    this.log(`  L2 (chain ${b.l2.chainId}):  ${b.l2.balance.open} OPEN`)
    if (b.l1) this.log(`  L1 (chain ${b.l1.chainId}):  ${b.l1.balance.open} OPEN, ${b.l1.eth.ether} ETH`)
    return b
  }
}
