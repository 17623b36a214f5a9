/** The typed flags and arguments of src/cli/flags.ts, through oclif's own parser. */
import {Parser} from '@oclif/core'
import {parseEther} from 'viem'
import {describe, expect, it} from 'vitest'

import {accountFlag, addressArg, addressFlag, contributionIdsFlag, openAmountArg, openAmountFlag} from '../../src/cli/flags.js'

const A1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

const flags = {
  to: addressFlag({}),
  fee: openAmountFlag({}),
  account: accountFlag({}),
  approve: contributionIdsFlag({}),
}
const args = {address: addressArg({}), amount: openAmountArg({})}

const parse = (argv: string[]) => Parser.parse(argv, {flags, args, strict: true})

/** The error a parse throws: its exit code and one-line message. */
async function refusal(argv: string[]) {
  const err = await parse(argv).then(
    () => undefined,
    (e) => e,
  )
  expect(err, `${argv.join(' ')} should be refused`).toBeDefined()
  return {exitCode: err.exitCode, message: err.shortMessage}
}

describe('typed flags and arguments', () => {
  it('give commands checksummed addresses, wei and ids', async () => {
    const out = await parse([
      A1.toLowerCase(),
      '2.5',
      '--to',
      A1.toLowerCase(),
      '--fee',
      '0.01',
      '--account',
      '3',
      '--approve',
      '1,2',
      '--approve',
      '7',
    ])
    expect(out.args).toEqual({address: A1, amount: parseEther('2.5')})
    expect(out.flags).toEqual({to: A1, fee: parseEther('0.01'), account: 3, approve: [1n, 2n, 7n]})
  })

  it('refuse bad values with one line naming the flag or argument, exit code 2', async () => {
    expect(await refusal([A1, '1', '--to', '0x1234'])).toEqual({
      exitCode: 2,
      message: '--to "0x1234" is not an address (0x followed by 40 hex digits, with a valid checksum if mixed-case)',
    })
    // A mixed-case address with one letter's case flipped fails its checksum.
    expect((await refusal([A1, '1', '--to', A1.replace('C', 'c')])).message).toMatch(/^--to ".*" is not an address/)
    expect(await refusal([A1, '1', '--fee', 'ten'])).toEqual({
      exitCode: 2,
      message: expect.stringMatching(/^--fee "ten" is not an amount of OPEN/),
    })
    expect(await refusal([A1, '1', '--fee', '0'])).toEqual({exitCode: 2, message: '--fee must be more than 0 OPEN'})
    expect(await refusal([A1, '1', '--fee', '0.0000000000000000001'])).toMatchObject({
      message: expect.stringMatching(/at most 18 decimals/),
    })
    expect(await refusal([A1, '1', '--account', 'two'])).toEqual({
      exitCode: 2,
      message: '--account "two" is not an account index (0, 1, 2, …)',
    })
    expect(await refusal([A1, '1', '--approve', '1,x'])).toEqual({
      exitCode: 2,
      message: '--approve x: not a contribution id (a positive integer)',
    })
    expect(await refusal([A1, '1', '--approve', '0'])).toMatchObject({message: '--approve 0: not a contribution id (a positive integer)'})
    expect(await refusal(['0xnope', '1'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^address "0xnope" is not an address/),
    })
    expect(await refusal([A1, 'lots'])).toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^amount "lots" is not an amount of OPEN/),
    })
  })
})
