import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {BEDROCK_DIR, renderBedrockArtifacts} from '../../scripts/build-bedrock-artifacts.js'
import {OptimismPortal, bedrockVersion} from '../../src/contracts/bedrock/index.js'

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
})
