import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {BEDROCK_DIR, renderBedrockArtifacts} from '../../scripts/build-bedrock-artifacts.js'
import * as bedrock from '../../src/contracts/bedrock/index.js'
import {OptimismPortal, bedrockVersion} from '../../src/contracts/bedrock/index.js'
import {BEDROCK_CONTRACT_NAMES, contractAbi} from '../../src/contracts/registry.js'

describe('OP Stack artifacts', () => {
  it('match @eth-optimism/contracts-bedrock (run `npm run contracts:bedrock` when this fails)', () => {
    for (const [name, text] of Object.entries(renderBedrockArtifacts())) {
      expect(readFileSync(join(BEDROCK_DIR, name), 'utf8'), `${name} is stale`).toBe(text)
    }
  })

  it('come from the pinned release with custom-gas-token deposits', () => {
    expect(bedrockVersion).toBe('0.17.3')
    expect(OptimismPortal.compiler).toMatch(/^0\.8\.15\+/)
    expect(OptimismPortal.abi.some((x) => x.type === 'function' && x.name === 'depositERC20Transaction')).toBe(true)
  })

  it('are the ones `contracts list` and `contracts abi` name, with their ABIs', async () => {
    const names = Object.entries(bedrock)
      .filter(([, v]) => typeof v === 'object' && v !== null && 'abi' in v)
      .map(([k]) => k)
      .sort()
    expect([...BEDROCK_CONTRACT_NAMES]).toEqual(names)
    expect(await contractAbi('OptimismPortal')).toBe(OptimismPortal.abi)
    await expect(contractAbi('OptimismPortal2')).rejects.toThrow(/unknown contract "OptimismPortal2"; known: .*OptimismPortal/)
  })
})
