import {openledger} from 'viem/chains'
import {describe, expect, it} from 'vitest'

import {openledgerMainnet} from '../../src/chain/networks.js'

describe('networks', () => {
  it('defines the OpenLedger mainnet as viem/chains does', () => {
    // Data fields only: defineChain adds an `extend` function to each chain, never the same one.
    const data = (chain: object) => JSON.parse(JSON.stringify(chain))
    expect(data(openledgerMainnet)).toEqual(data(openledger))
    expect(data(openledgerMainnet).id).toBe(1612)
  })
})
