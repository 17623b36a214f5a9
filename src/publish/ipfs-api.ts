/**
 * Pushes stored blocks to an IPFS node through the Kubo RPC API: one `POST /api/v0/block/put`
 * per block (multipart field "file", `cid-codec` raw or dag-pb, sha2-256), checking that the node
 * names each block by the same CID, then `POST /api/v0/pin/add?arg=<root>` so the node keeps the
 * whole DAG.
 */
import type {CID} from 'multiformats/cid'

import type {FsBlockstore} from './blockstore.js'
import {IpfsApiError} from './errors.js'

const CODEC_NAMES: Record<number, string> = {0x55: 'raw', 0x70: 'dag-pb'}

export type PushReturnType = {api: string; blocks: number; bytes: number; pinned: string}

async function call(url: string, body?: FormData): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, {method: 'POST', body})
  } catch (err) {
    throw new IpfsApiError(`--ipfs-api: ${new URL(url).origin} does not answer (${(err as Error).message})`, err)
  }
  const text = await res.text()
  if (!res.ok) throw new IpfsApiError(`--ipfs-api: ${new URL(url).pathname} answered HTTP ${res.status}: ${text.slice(0, 200).trim()}`)
  try {
    return JSON.parse(text)
  } catch {
    throw new IpfsApiError(`--ipfs-api: ${new URL(url).pathname} did not answer JSON`)
  }
}

export function normaliseApiUrl(api: string): string {
  let u: URL
  try {
    u = new URL(api)
  } catch {
    throw new IpfsApiError(`--ipfs-api "${api}" is not a URL (e.g. http://127.0.0.1:5001)`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new IpfsApiError(`--ipfs-api "${api}" must be an http(s) URL`)
  return u.origin + u.pathname.replace(/\/+$/, '').replace(/\/api\/v0$/, '')
}

export async function pushBlocks(api: string, root: CID, cids: CID[], store: FsBlockstore): Promise<PushReturnType> {
  const base = normaliseApiUrl(api)
  let bytes = 0
  const seen = new Set<string>()
  for (const cid of cids) {
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    const block = await store.getBytes(cid)
    const codec = CODEC_NAMES[cid.code]
    if (!codec) throw new IpfsApiError(`block ${key} has codec 0x${cid.code.toString(16)}, which block/put is not asked to store`)
    const form = new FormData()
    form.append('file', new Blob([block]), 'block')
    const out = (await call(`${base}/api/v0/block/put?cid-codec=${codec}&mhtype=sha2-256&mhlen=32&pin=false`, form)) as {Key?: string}
    if (out.Key !== key) throw new IpfsApiError(`--ipfs-api stored block ${key} as ${out.Key ?? '(no key)'}`)
    bytes += block.length
  }
  const pin = (await call(`${base}/api/v0/pin/add?arg=${root.toString()}&recursive=true`)) as {Pins?: string[]}
  if (!pin.Pins?.includes(root.toString())) throw new IpfsApiError(`--ipfs-api did not pin ${root}`)
  return {api: base, blocks: seen.size, bytes, pinned: root.toString()}
}
