import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ARTIFACTS_DIR, compileProject, renderBuildInfo} from '../../scripts/compile-contracts.js'
import {artifacts} from '../../src/contracts/artifacts/index.js'

describe('the build info kept for verification', () => {
  it('is what the compiler read, every import included, and names the compiler that produced the artifacts (run `npm run contracts:build` when this fails)', () => {
    const {contracts, buildInfo} = compileProject()
    expect(readFileSync(join(ARTIFACTS_DIR, 'build-info.ts'), 'utf8')).toBe(renderBuildInfo(buildInfo))
    expect(buildInfo.solcLongVersion).toMatch(/^\d+\.\d+\.\d+\+commit\.[0-9a-f]{8}$/)
    // Self-contained: each contract's own source and the OpenZeppelin files it imports.
    expect(Object.keys(buildInfo.input.sources)).toEqual(
      expect.arrayContaining(['DatanetRegistry.sol', 'InferenceSettlement.sol', '@openzeppelin/contracts/access/AccessControl.sol']),
    )
    for (const c of contracts) expect(artifacts[c.name as keyof typeof artifacts].bytecode).toBe(c.bytecode)
  })
})
