import {createHash} from 'node:crypto'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

import {writeJsonAtomic} from '../../store/atomic.js'

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

type HashMemo = {dir: string; files: [rel: string, size: number, mtimeMs: number, ctimeMs: number, ino: number][]; hash: string}

/**
 * encoderFilesHash, remembered in the user's cache folder for as long as no file under `dir` changes
 * (same names, sizes, modification and change times, inodes): hashing the built-in encoder's 8 MB
 * was a sixth of `infer --text` (npm run bench -- cli). A file rewritten in any way changes its
 * ctime, which no tool can set back, so a stale answer needs the clock itself to go back.
 */
export function cachedEncoderFilesHash(dir: string, memoDir: string): string {
  const files = listFiles(dir)
    .map((p) => {
      const s = statSync(p)
      return [relative(dir, p).split('\\').join('/'), s.size, s.mtimeMs, s.ctimeMs, s.ino] as HashMemo['files'][number]
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const memoFile = join(memoDir, `${createHash('sha256').update(dir).digest('hex').slice(0, 32)}.json`)
  try {
    const memo = JSON.parse(readFileSync(memoFile, 'utf8')) as HashMemo
    if (memo.dir === dir && JSON.stringify(memo.files) === JSON.stringify(files) && /^0x[0-9a-f]{64}$/.test(memo.hash)) return memo.hash
  } catch {}
  const hash = encoderFilesHash(dir)
  try {
    writeJsonAtomic(memoFile, {dir, files, hash} satisfies HashMemo)
  } catch {}
  return hash
}
