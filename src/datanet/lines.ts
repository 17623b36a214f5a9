import {createHash, type Hash, randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, linkSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

const READ_CHUNK = 4 << 20
const WRITE_BUFFER = 1 << 20

/**
 * Calls `onLine(buf, start, end, line)` for every line of a file (without its "\n"; `line` counts
 * from 1), reading 4 MiB at a time: memory is one chunk (or the longest line), whatever the file's
 * size, and no line is ever joined into one big string. `onBytes` sees every byte read, in order
 * (to hash the file as it streams by).
 */
export function forEachLine(path: string, onLine: (buf: Buffer, start: number, end: number, line: number) => void, onBytes?: (chunk: Buffer) => void): void {
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

/**
 * Writes a file in pieces through a 1 MiB buffer to a temp file next to `path`, hashing (sha256)
 * and counting the bytes as they go. `commit` fsyncs once and puts the file in place: by rename
 * (replacing), or by link (`exclusive`: fails with EEXIST when `path` exists, for files written
 * once and never changed). `abort` leaves `path` as it was.
 */
export class StreamFileWriter {
  readonly tmp: string
  private fd: number | undefined
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER)
  private buffered = 0
  private readonly hash: Hash = createHash('sha256')
  bytes = 0

  constructor(readonly path: string) {
    mkdirSync(dirname(path), {recursive: true})
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    this.fd = openSync(this.tmp, 'w')
  }

  write(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    this.hash.update(bytes)
    this.bytes += bytes.length
    if (bytes.length >= WRITE_BUFFER) {
      this.flush()
      this.writeAll(bytes)
      return
    }
    if (this.buffered + bytes.length > WRITE_BUFFER) this.flush()
    this.buffer.set(bytes, this.buffered)
    this.buffered += bytes.length
  }

  /** Appends a string's UTF-8 bytes without allocating a Buffer per call. */
  writeText(text: string): void {
    if (text.length * 3 > WRITE_BUFFER) return this.write(text)
    if (this.buffered + text.length * 3 > WRITE_BUFFER) this.flush()
    const n = this.buffer.write(text, this.buffered, 'utf8')
    this.hash.update(this.buffer.subarray(this.buffered, this.buffered + n))
    this.bytes += n
    this.buffered += n
  }

  private writeAll(bytes: Uint8Array): void {
    let off = 0
    while (off < bytes.length) off += writeSync(this.fd as number, bytes, off, bytes.length - off)
  }

  private flush(): void {
    if (this.buffered > 0) this.writeAll(this.buffer.subarray(0, this.buffered))
    this.buffered = 0
  }

  /** sha256 (hex) of everything written so far. */
  sha256(): string {
    return this.hash.copy().digest('hex')
  }

  /** fsync, then rename over `path` (or link to it when `exclusive`). */
  commit(options: {exclusive?: boolean} = {}): void {
    if (this.fd === undefined) throw new Error(`${this.path}: already committed or aborted`)
    try {
      this.flush()
      fsyncSync(this.fd)
      closeSync(this.fd)
      this.fd = undefined
      if (options.exclusive) {
        // link() fails when the target exists: a file written once is never replaced.
        linkSync(this.tmp, this.path)
        rmSync(this.tmp, {force: true})
      } else renameSync(this.tmp, this.path)
    } catch (err) {
      this.abort()
      throw err
    }
  }

  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    rmSync(this.tmp, {force: true})
  }
}
