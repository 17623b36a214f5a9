// The package's "main" and "types" point at files the build makes, and the entry exposes the
// programmatic API by domain.
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

describe('package entry', () => {
  it('main and types exist after the build', () => {
    expect(existsSync(join(root, pkg.main)), `${pkg.main}: run npm run build`).toBe(true)
    expect(existsSync(join(root, pkg.types)), `${pkg.types}: run npm run build`).toBe(true)
  })

  it('exports each domain and the dev accounts', async () => {
    const api = await import(join(root, pkg.main))
    expect(typeof api.devnet.startDevnet).toBe('function')
    expect(typeof api.devnet.devnetStatus).toBe('function')
    expect(typeof api.datanet.createDatanet).toBe('function')
    expect(typeof api.model.loadModel).toBe('function')
    expect(api.devAccounts()[0].address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    expect(typeof api.OpenledgerError).toBe('function')
  })
})
