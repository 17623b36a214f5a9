import {createHash} from 'node:crypto'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {extname, join} from 'node:path'

import type {Address, Hex} from 'viem'

import {ZERO_ADDRESS, checksumAddress, isAddress} from '../chain/address.js'
import {UsageError} from '../errors.js'
import {toHex} from './bytes.js'
import {CanonicalJsonError, canonicalJson} from './canonical-json.js'
import {InvalidRecordFileError} from './errors.js'
import {MEDIA_EXTENSIONS, type ParsedRow, TEXT_EXTENSIONS, decodeUtf8, parseCsv, parseDocument, parseJsonl} from './formats.js'
import {CONTRIBUTOR_FIELD, keccakUtf8Into} from './hash.js'
import {keccak256Bytes} from './keccak.js'
import type {DatanetRecord, Modality} from './types.js'

/** OpenLedger's limit: 5 MB a file (5 × 1024 × 1024 bytes). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024

/** Fields a record may not carry: `recordHash` is added next to the fields in every listing. */
export const RESERVED_FIELDS = ['recordHash'] as const

export type IngestOptions = {
  modality: Modality
  /** The field holding a row's text (default `text`); stored as `text`. Required for text datanets. */
  textField?: string
  /** Contributor of rows that name none. */
  defaultContributor: Address
  /** When set, every row must be this contributor's (a public contribution is the signer's own). */
  requireContributor?: Address
}

export type IngestedFile = {
  /** The path as given (or found under a given folder). */
  path: string
  sha256: string
  bytes: number
  records: DatanetRecord[]
  /** The line each record starts on, in the same order (1 for a document or media file). */
  lines: number[]
  /** Media files (image and audio datanets): the bytes to keep under blobs/. */
  blob?: {name: string; data: Uint8Array}
}

export type IngestResult = {files: IngestedFile[]; skipped: string[]}

export function allowedExtensions(modality: Modality): string[] {
  return modality === 'text' ? [...TEXT_EXTENSIONS] : [...TEXT_EXTENSIONS, ...Object.keys(MEDIA_EXTENSIONS[modality])]
}

/**
 * The files a list of paths names: files as given (an unsupported type is refused), folders walked
 * recursively in name order, skipping hidden entries and files of other types (reported back).
 */
export function collectFiles(paths: string[], modality: Modality): {files: string[]; skipped: string[]} {
  const allowed = allowedExtensions(modality)
  const files: string[] = []
  const skipped: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.')) continue
      const p = join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.isFile() && allowed.includes(extname(entry.name).toLowerCase())) files.push(p)
      else skipped.push(p)
    }
  }
  for (const p of paths) {
    let st
    try {
      st = statSync(p)
    } catch {
      throw new UsageError(`${p}: no such file or folder`)
    }
    if (st.isDirectory()) walk(p)
    else if (!allowed.includes(extname(p).toLowerCase())) {
      throw new InvalidRecordFileError(
        p,
        undefined,
        `unsupported file type "${extname(p) || '(none)'}": a ${modality} datanet takes ${allowed.join(' ')}`,
      )
    } else files.push(p)
  }
  return {files: [...new Set(files)], skipped}
}

/**
 * Reads, validates and hashes every file before returning anything: the first problem throws
 * (InvalidRecordFileError, one line naming the file and line) and nothing is kept.
 */
export function ingestPaths(paths: string[], opts: IngestOptions): IngestResult {
  const {files, skipped} = collectFiles(paths, opts.modality)
  return {files: files.map((f) => ingestFile(f, opts)), skipped}
}

export function ingestFile(path: string, opts: IngestOptions): IngestedFile {
  const size = statSync(path).size
  if (size > MAX_FILE_BYTES) {
    throw new InvalidRecordFileError(
      path,
      undefined,
      `file is ${(size / 1024 / 1024).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit per file`,
    )
  }
  const bytes = readFileSync(path)
  if (bytes.length > MAX_FILE_BYTES)
    throw new InvalidRecordFileError(path, undefined, `file is over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit per file`)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const ext = extname(path).toLowerCase()
  if (opts.modality !== 'text' && ext in MEDIA_EXTENSIONS[opts.modality]) {
    const content = toHex(keccak256Bytes(bytes))
    const mediaType = (MEDIA_EXTENSIONS[opts.modality] as Record<string, string>)[ext]
    const fields = {media: content, mediaType, byteSize: bytes.length}
    const record = toRecord({line: 1, row: fields}, path, {...opts, textField: undefined})
    return {path, sha256, bytes: bytes.length, records: [record], lines: [1], blob: {name: `${content.slice(2)}${ext}`, data: bytes}}
  }
  return parseRecordBytes(path, bytes, sha256, ext === '.jsonl' ? 'jsonl' : ext === '.csv' ? 'csv' : 'document', opts)
}

/** The formats records can be piped in as (`datanet add <name> -`). */
export const STREAM_FORMATS = ['jsonl', 'csv'] as const
export type StreamFormat = (typeof STREAM_FORMATS)[number]

/** Records read from stdin (or any stream), named `name` in errors ("-" for stdin). */
export type RecordStream = {name: string; bytes: Uint8Array; format?: StreamFormat}

/**
 * A JSONL or CSV stream's format, from its first character that is not white space (after a
 * BOM): `{` starts a JSON object (JSONL); anything else is taken for a CSV header.
 */
export function sniffFormat(bytes: Uint8Array): StreamFormat {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++
  return bytes[i] === 0x7b ? 'jsonl' : 'csv'
}

/** Reads a stream's records as a file's (the same limit, validation and hashing). */
export function ingestStream(s: RecordStream, opts: IngestOptions): IngestedFile {
  if (s.bytes.length > MAX_FILE_BYTES)
    throw new InvalidRecordFileError(s.name, undefined, `input is over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit per file`)
  const sha256 = createHash('sha256').update(s.bytes).digest('hex')
  const f = parseRecordBytes(s.name, s.bytes, sha256, s.format ?? sniffFormat(s.bytes), opts)
  // Most likely nothing was piped in (stdin closed, or a command before the pipe failed).
  if (f.records.length === 0) throw new InvalidRecordFileError(s.name, undefined, 'no records on the input (nothing piped in?)')
  return f
}

function parseRecordBytes(
  path: string,
  bytes: Uint8Array,
  sha256: string,
  format: StreamFormat | 'document',
  opts: IngestOptions,
): IngestedFile {
  const text = decodeUtf8(bytes, path)
  const rows = format === 'jsonl' ? parseJsonl(text, path) : format === 'csv' ? parseCsv(text, path) : parseDocument(text, path)
  return {path, sha256, bytes: bytes.length, records: rows.map((r) => toRecord(r, path, opts)), lines: rows.map((r) => r.line)}
}

const hashOut = new Uint8Array(32)

/** Validates one row and turns it into a record: text field, contributor, canonical form, hash. */
export function toRecord({line, row}: ParsedRow, file: string, opts: IngestOptions): DatanetRecord {
  for (const f of RESERVED_FIELDS) {
    if (Object.hasOwn(row, f)) throw new InvalidRecordFileError(file, line, `field "${f}" is reserved (openledger adds it to every record)`)
  }
  // The contributor: the row's own, else the default.
  let contributor: Address = opts.defaultContributor
  const own = row[CONTRIBUTOR_FIELD]
  if (own !== undefined && own !== null && own !== '') {
    if (typeof own !== 'string' || !isAddress(own.trim())) {
      throw new InvalidRecordFileError(
        file,
        line,
        `contributor ${JSON.stringify(own)} is not an address (0x and 40 hex digits, with a valid checksum if mixed-case)`,
      )
    }
    contributor = checksumAddress(own.trim()) as Address
    if (contributor === ZERO_ADDRESS) throw new InvalidRecordFileError(file, line, 'contributor is the zero address')
  }
  if (opts.requireContributor && contributor !== opts.requireContributor) {
    throw new InvalidRecordFileError(
      file,
      line,
      `contributor ${contributor} is not the signer ${opts.requireContributor}: a contribution is the signer's own`,
    )
  }
  const fields: Array<[string, unknown]> = []
  const textField = opts.modality === 'text' ? (opts.textField ?? 'text') : opts.textField
  let text: unknown
  for (const [k, v] of Object.entries(row)) {
    if (k === CONTRIBUTOR_FIELD) continue
    if (textField !== undefined && k === textField) {
      text = v
      continue
    }
    if (textField !== undefined && textField !== 'text' && k === 'text') {
      throw new InvalidRecordFileError(
        file,
        line,
        `has both "${textField}" and "text": with --text-field ${textField} the text is stored as "text"`,
      )
    }
    fields.push([k, v])
  }
  if (textField !== undefined) {
    if (text === undefined) throw new InvalidRecordFileError(file, line, `missing the "${textField}" field`)
    if (typeof text !== 'string')
      throw new InvalidRecordFileError(file, line, `field "${textField}" is ${text === null ? 'null' : typeof text}, not a string`)
    if (text.trim() === '') throw new InvalidRecordFileError(file, line, `field "${textField}" is empty`)
    fields.unshift(['text', text])
  }
  const record = Object.fromEntries(fields)
  let canonical: string
  try {
    canonical = canonicalJson(record)
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw new InvalidRecordFileError(file, line, err.message)
    throw err
  }
  keccakUtf8Into(canonical, hashOut, 0)
  return {recordHash: toHex(hashOut) as Hex, contributor, fields: record}
}
