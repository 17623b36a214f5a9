import {createHash, type Hash, randomBytes} from 'node:crypto'
import {closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

const WRITE_BUFFER = 1 << 20

/**
 * The project's one streamed atomic writer (datanet versions and drafts, safetensors caches): writes a
 * file in pieces through a 1 MiB buffer to a temp file next to `path`, counting the bytes (and, unless
 * `hash: false`, hashing them with sha256) as they go. `commit` fsyncs once and puts the file in place: by rename
 * (replacing), or by link (`exclusive`: fails with EEXIST when `path` exists, for files written
 * once and never changed). `abort` leaves `path` as it was.
 */
export class StreamFileWriter {
  readonly tmp: string
  private fd: number | undefined
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER)
  private buffered = 0
  private readonly hash: Hash | undefined
  bytes = 0

  constructor(
    readonly path: string,
    options: {hash?: boolean} = {},
  ) {
    this.hash = options.hash === false ? undefined : createHash('sha256')
    mkdirSync(dirname(path), {recursive: true})
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    this.fd = openSync(this.tmp, 'w')
  }

  write(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    this.hash?.update(bytes)
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
    this.hash?.update(this.buffer.subarray(this.buffered, this.buffered + n))
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
    if (!this.hash) throw new Error(`${this.path}: written with hash: false`)
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
