import {createHash} from 'node:crypto'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listFiles(p))
    else out.push(p)
  }
  return out
}

/** sha256 over every file under `dir` (relative path, length, bytes; sorted), as 0x-prefixed hex. */
export function encoderFilesHash(dir: string): string {
  const h = createHash('sha256')
  const files = listFiles(dir)
    .map((p) => ({p, rel: relative(dir, p).split('\\').join('/')}))
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0))
  for (const {p, rel} of files) {
    const data = readFileSync(p)
    h.update(`${rel}\0${data.length}\0`)
    h.update(data)
  }
  return '0x' + h.digest('hex')
}
