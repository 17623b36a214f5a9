import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import * as dagPb from '@ipld/dag-pb'
import {importer} from 'ipfs-unixfs-importer'
import {CID} from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import {create as createDigest} from 'multiformats/hashes/digest'
import {afterAll, describe, expect, it} from 'vitest'

import {tempDir} from '../helpers/env.js'
import {NullBlockstore} from '../../src/publish/blockstore.js'
import {CHUNK_SIZE, folderCid, importFolder} from '../../src/publish/cid.js'
import {pushBlocks} from '../../src/publish/ipfs-api.js'
import {addFolder, blockstore, exportFolder} from '../../src/publish/store.js'

const tmp = tempDir('ol-cid-')
afterAll(() => tmp.cleanup())

let n = 0
function folder(files: Record<string, string | Uint8Array | null>): string {
  const dir = join(tmp.dir, `f${n++}`)
  mkdirSync(dir, {recursive: true})
  for (const [path, content] of Object.entries(files)) {
    if (content === null) mkdirSync(join(dir, path), {recursive: true})
    else {
      mkdirSync(join(dir, path, '..'), {recursive: true})
      writeFileSync(join(dir, path), content)
    }
  }
  return dir
}

/** CIDv1 raw of bytes, computed with node's sha256 (not the importer). */
function rawCid(bytes: Uint8Array): CID {
  return CID.create(1, raw.code, createDigest(0x12, createHash('sha256').update(bytes).digest()))
}
function pbCid(block: Uint8Array): CID {
  return CID.create(1, dagPb.code, createDigest(0x12, createHash('sha256').update(block).digest()))
}
function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}
/** UnixFS Data protobuf by hand: Type (1), filesize (3), blocksizes (4). */
function unixfsFile(size: number, blockSizes: number[]): Uint8Array {
  return Uint8Array.from([0x08, 0x02, 0x18, ...varint(size), ...blockSizes.flatMap((b) => [0x20, ...varint(b)])])
}
const UNIXFS_DIR = Uint8Array.from([0x08, 0x01])

function bytes(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len)
  let s = seed
  for (let i = 0; i < len; i++) b[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24
  return b
}

describe('folder CIDs as `ipfs add -r --cid-version 1`', () => {
  it('an empty folder is the well-known empty UnixFS directory', async () => {
    expect(await folderCid(folder({}))).toBe('bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354')
  })

  it('single-chunk and empty files are raw leaves; the directory links them by name, sorted', async () => {
    const hello = new TextEncoder().encode('hello world\n')
    const dir = folder({'b.txt': hello, 'a-empty': '', '.hidden': 'skipped like kubo without --hidden'})
    const r = await importFolder(dir, new NullBlockstore())
    const byPath = Object.fromEntries(r.entries.map((e) => [e.path, e.cid]))
    expect(Object.keys(byPath)).toEqual(['a-empty', 'b.txt'])
    expect(byPath['b.txt']).toBe(rawCid(hello).toString())
    expect(byPath['a-empty']).toBe('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku')
    expect(byPath['a-empty']).toBe(rawCid(new Uint8Array()).toString())
    const node = dagPb.prepare({
      Data: UNIXFS_DIR,
      Links: [
        {Name: 'b.txt', Hash: rawCid(hello), Tsize: hello.length},
        {Name: 'a-empty', Hash: rawCid(new Uint8Array()), Tsize: 0},
      ],
    })
    expect(node.Links.map((l) => l.Name)).toEqual(['a-empty', 'b.txt'])
    expect(r.cid.toString()).toBe(pbCid(dagPb.encode(node)).toString())
  })

  it('a file over 256 KiB: 262144-byte raw leaves under one dag-pb UnixFS file node', async () => {
    const len = 2 * CHUNK_SIZE + 12_345
    const data = bytes(len, 1)
    const r = await importFolder(folder({'model.safetensors': data}), new NullBlockstore())
    const sizes = [CHUNK_SIZE, CHUNK_SIZE, 12_345]
    const leaves = sizes.map((s, i) => rawCid(data.subarray(i * CHUNK_SIZE, i * CHUNK_SIZE + s)))
    const fileNode = dagPb.encode(
      dagPb.prepare({Data: unixfsFile(len, sizes), Links: leaves.map((Hash, i) => ({Name: '', Hash, Tsize: sizes[i]}))}),
    )
    expect(r.entries[0].cid).toBe(pbCid(fileNode).toString())
  })

  it('past 174 chunks the balanced layout adds a level (174 links per node)', async () => {
    const len = 175 * CHUNK_SIZE
    const data = bytes(len, 2)
    const bs = blockstore({stateDir: join(tmp.dir, 'big-state')})
    const r = await importFolder(folder({big: data}), bs)
    const root = dagPb.decode(await bs.getBytes(CID.parse(r.entries[0].cid!)))
    expect(root.Links).toHaveLength(2)
    const first = dagPb.decode(await bs.getBytes(root.Links[0].Hash))
    expect(first.Links).toHaveLength(174)
    expect(first.Links[173].Hash.toString()).toBe(rawCid(data.subarray(173 * CHUNK_SIZE, 174 * CHUNK_SIZE)).toString())
    const second = dagPb.decode(await bs.getBytes(root.Links[1].Hash))
    expect(second.Links.map((l) => l.Hash.toString())).toEqual([rawCid(data.subarray(174 * CHUNK_SIZE)).toString()])
  })

  it('nested folders, empty folders and files: same CID as the importer with its Kubo legacy profile and CIDv1', async () => {
    const files = {
      'config.json': '{"a":1}\n',
      'checkpoints/epoch-1.safetensors': bytes(300_000, 3),
      'checkpoints/epoch-2.safetensors': bytes(10, 4),
      'deep/er/still/empty.bin': '',
      'empty-dir': null,
      'z.md': '# card\n',
    }
    const dir = folder(files)
    const ours = await folderCid(dir)
    const entries = [
      {path: 'x'},
      ...Object.entries(files)
        .map(([p, c]) =>
          c === null ? {path: `x/${p}`} : {path: `x/${p}`, content: typeof c === 'string' ? new TextEncoder().encode(c) : c},
        )
        .reverse(),
    ]
    let theirs = ''
    for await (const e of importer(entries, {put: (c: CID) => c} as never, {profile: 'unixfs-v0-2015', cidVersion: 1, rawLeaves: true}))
      if (e.path === 'x') theirs = e.cid.toString()
    expect(ours).toBe(theirs)
    // The empty folder is a link to the empty directory.
    const bs = blockstore({stateDir: join(tmp.dir, 'nested-state')})
    const r = await importFolder(dir, bs)
    const root = dagPb.decode(await bs.getBytes(r.cid))
    expect(root.Links.map((l) => l.Name)).toEqual(['checkpoints', 'config.json', 'deep', 'empty-dir', 'z.md'])
    expect(root.Links[3].Hash.toString()).toBe('bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354')
  })

  it('any changed byte, added or removed file changes the CID', async () => {
    const base = {'a.bin': bytes(500_000, 5), 'b.json': '{}'}
    const c0 = await folderCid(folder(base))
    const flipped = bytes(500_000, 5)
    flipped[400_000] ^= 1
    expect(await folderCid(folder({...base, 'a.bin': flipped}))).not.toBe(c0)
    expect(await folderCid(folder({...base, 'c.txt': ''}))).not.toBe(c0)
    expect(await folderCid(folder({'a.bin': base['a.bin']}))).not.toBe(c0)
    expect(await folderCid(folder(base))).toBe(c0)
  })
})

describe('content store', () => {
  const state = join(tmp.dir, 'state')
  const files = {'config.json': '{"x":1}', 'checkpoints/epoch-1.safetensors': bytes(600_000, 6), empty: '', 'sub/none': null}

  it('keeps one file per block, each named by the CID it hashes to, and rebuilds the folder byte for byte', async () => {
    const dir = folder(files)
    const added = await addFolder(dir, {stateDir: state, name: 'm'})
    expect(added.cid).toBe(await folderCid(dir))
    const blocksDir = join(state, 'store', 'blocks')
    const names = readdirSync(blocksDir)
    expect(names.length).toBe(new Set(added.blocks.map(String)).size)
    for (const name of names) {
      const cid = CID.parse(name)
      const body = readFileSync(join(blocksDir, name))
      expect((cid.code === raw.code ? rawCid(body) : pbCid(body)).toString()).toBe(name)
    }
    const out = await exportFolder(added.cid, join(tmp.dir, 'rebuilt'), {stateDir: state})
    expect(
      readFileSync(join(out, 'checkpoints/epoch-1.safetensors')).equals(
        Buffer.from(files['checkpoints/epoch-1.safetensors'] as Uint8Array),
      ),
    ).toBe(true)
    expect(readFileSync(join(out, 'empty')).length).toBe(0)
    expect(readdirSync(join(out, 'sub', 'none'))).toEqual([])
    expect(await folderCid(out)).toBe(added.cid)
  })

  it('a corrupt block is caught when read; an unknown CID is a clear error', async () => {
    const dir = folder({'a.bin': bytes(300_000, 7)})
    const added = await addFolder(dir, {stateDir: state})
    const leaf = added.blocks.find((c) => c.code === raw.code)!
    const path = join(state, 'store', 'blocks', leaf.toString())
    const body = readFileSync(path)
    body[0] ^= 0xff
    writeFileSync(path, body)
    await expect(exportFolder(added.cid, join(tmp.dir, 'bad'), {stateDir: state})).rejects.toMatchObject({code: 'E_CORRUPT_BLOCK'})
    await expect(
      exportFolder('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', join(tmp.dir, 'nope'), {stateDir: state}),
    ).rejects.toMatchObject({
      code: 'E_CONTENT_NOT_FOUND',
      exitCode: 3,
    })
  })

  it('--ipfs-api pushes every block with block/put and pins the root (a loopback stub records them)', async () => {
    const dir = folder({'a.bin': bytes(270_000, 8), 'b.txt': 'b'})
    const stateB = join(tmp.dir, 'state-b')
    const added = await addFolder(dir, {stateDir: stateB})
    const seen: Array<{path: string; query: URLSearchParams; body: Buffer}> = []
    const server = createServer((req, res) => {
      const parts: Buffer[] = []
      req.on('data', (c) => parts.push(c))
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x')
        const body = Buffer.concat(parts)
        seen.push({path: url.pathname, query: url.searchParams, body})
        res.setHeader('content-type', 'application/json')
        if (url.pathname === '/api/v0/block/put') {
          const boundary = /boundary=(.+)$/.exec(req.headers['content-type'] ?? '')![1]
          const start = body.indexOf('\r\n\r\n') + 4
          const end = body.lastIndexOf(Buffer.from(`\r\n--${boundary}--`))
          const block = body.subarray(start, end)
          const codec = url.searchParams.get('cid-codec') === 'raw' ? raw.code : dagPb.code
          const cid = CID.create(1, codec, createDigest(0x12, createHash('sha256').update(block).digest()))
          res.end(JSON.stringify({Key: cid.toString(), Size: block.length}))
        } else if (url.pathname === '/api/v0/pin/add') res.end(JSON.stringify({Pins: [url.searchParams.get('arg')]}))
        else {
          res.statusCode = 404
          res.end('{}')
        }
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const out = await pushBlocks(api, CID.parse(added.cid), added.blocks, blockstore({stateDir: stateB}))
      const puts = seen.filter((s) => s.path === '/api/v0/block/put')
      expect(puts.length).toBe(new Set(added.blocks.map(String)).size)
      expect(out).toMatchObject({blocks: puts.length, pinned: added.cid})
      expect(seen.at(-1)).toMatchObject({path: '/api/v0/pin/add'})
      expect(seen.at(-1)!.query.get('arg')).toBe(added.cid)
    } finally {
      server.close()
    }
  })
})
