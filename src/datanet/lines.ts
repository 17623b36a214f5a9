import {closeSync, openSync, readSync} from 'node:fs'

const READ_CHUNK = 4 << 20

/**
 * Calls `onLine(buf, start, end, line)` for every line of a file (without its "\n"; `line` counts
 * from 1), reading 4 MiB at a time: memory is one chunk (or the longest line), whatever the file's
 * size, and no line is ever joined into one big string. `onBytes` sees every byte read, in order
 * (to hash the file as it streams by).
 */
export function forEachLine(
  path: string,
  onLine: (buf: Buffer, start: number, end: number, line: number) => void,
  onBytes?: (chunk: Buffer) => void,
): void {
  const fd = openSync(path, 'r')
  try {
    let buf = Buffer.allocUnsafe(READ_CHUNK)
    let have = 0
    let line = 0
    for (;;) {
      if (have === buf.length) {
        // One line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2)
        buf.copy(bigger, 0, 0, have)
        buf = bigger
      }
      const n = readSync(fd, buf, have, buf.length - have, null)
      if (n > 0) onBytes?.(buf.subarray(have, have + n))
      const end = have + n
      const view = buf.subarray(0, end)
      let start = 0
      for (let nl = view.indexOf(10, have); nl !== -1; nl = view.indexOf(10, nl + 1)) {
        onLine(buf, start, nl, ++line)
        start = nl + 1
      }
      if (n === 0) {
        if (start < end) onLine(buf, start, end, ++line)
        return
      }
      buf.copy(buf, 0, start, end)
      have = end - start
    }
  } finally {
    closeSync(fd)
  }
}
