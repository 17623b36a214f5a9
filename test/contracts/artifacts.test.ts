import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ARTIFACTS_DIR, compileContracts, renderArtifacts} from '../../scripts/compile-contracts.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'
import {DEPLOYMENTS, deploymentArtifact} from '../../src/devnet/deployments.js'

describe('contract artifacts', () => {
  it('match what the compiler produces from contracts/ (run `npm run contracts:build` when this fails)', () => {
    const files = renderArtifacts(compileContracts())
    for (const [name, text] of Object.entries(files)) {
      expect(readFileSync(join(ARTIFACTS_DIR, name), 'utf8'), `${name} is stale`).toBe(text)
    }
  })

  it('cover every deployment, each protocol contract deployed on the L2', () => {
    for (const d of DEPLOYMENTS) expect(deploymentArtifact(d).contractName).toBe(d.name)
    const l2 = DEPLOYMENTS.filter((d) => d.chain === 'l2').map((d) => d.name)
    expect(l2).toEqual(expect.arrayContaining(['DatanetRegistry', 'ModelRegistry', 'Staking', 'InferenceSettlement']))
    expect(Object.keys(artifacts)).toEqual(expect.arrayContaining(l2))
  })
})
