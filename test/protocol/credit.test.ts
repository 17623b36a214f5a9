/** `credit`, `credit deposit`, `credit withdraw` against a real anvil with the protocol deployed. */
import {join} from 'node:path'

import {Config} from '@oclif/core'
import {getAddress, parseEther} from 'viem'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import Credit from '../../src/commands/credit/index.js'
import CreditDeposit from '../../src/commands/credit/deposit.js'
import CreditWithdraw from '../../src/commands/credit/withdraw.js'
import {tempDir} from '../helpers/env.js'
import {type Protocol, startProtocol, writeProtocolDevnetState} from '../helpers/contracts.js'
import {expectSchema} from '../helpers/json-schema.js'
import {runCommand as run} from '../helpers/run-command.js'
import {ROOT} from '../publish/helpers.js'

let p: Protocol
let config: Config
const tmp = tempDir('ol-credit-')
const saved = process.env.OPENLEDGER_STATE_DIR

beforeAll(async () => {
  p = await startProtocol()
  const stateDir = join(tmp.dir, '.openledger')
  writeProtocolDevnetState(p, stateDir)
  process.env.OPENLEDGER_STATE_DIR = stateDir
  config = await Config.load({root: ROOT})
})
afterAll(async () => {
  if (saved === undefined) delete process.env.OPENLEDGER_STATE_DIR
  else process.env.OPENLEDGER_STATE_DIR = saved
  await p?.stop()
  tmp.cleanup()
})

describe('credit', () => {
  it('deposits, shows and withdraws the signer’s credit', async () => {
    const dep = await run(config, CreditDeposit, ['1.5', '--account', '3', '--json'])
    expect(dep.exitCode, dep.stdout + dep.stderr).toBe(0)
    expectSchema('credit deposit', dep.json)
    expect(dep.json).toMatchObject({
      address: p.accounts[3].address,
      credit: parseEther('1.5').toString(),
      settlement: getAddress(p.addresses.InferenceSettlement),
    })
    const shown = await run(config, Credit, ['--address', p.accounts[3].address, '--json'])
    expectSchema('credit', shown.json)
    expect(shown.json.credit).toBe(parseEther('1.5').toString())
    const part = await run(config, CreditWithdraw, ['0.5', '--account', '3', '--json'])
    expectSchema('credit withdraw', part.json)
    expect(part.json).toMatchObject({amount: parseEther('0.5').toString(), credit: parseEther('1').toString()})
    const rest = await run(config, CreditWithdraw, ['--account', '3', '--json'])
    expect(rest.json).toMatchObject({amount: parseEther('1').toString(), credit: '0'})
    const none = await run(config, CreditWithdraw, ['--account', '3'])
    expect(none.exitCode).not.toBe(0)
    expect(none.stderr).toMatch(/no credit to withdraw/)
    const tooMuch = await run(config, CreditWithdraw, ['5', '--account', '4'])
    expect(tooMuch.exitCode).not.toBe(0)
  })
})
