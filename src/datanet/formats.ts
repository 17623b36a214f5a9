/**
 * Record file formats. Each parser takes decoded text and returns rows with the 1-based line each
 * row starts on; it throws InvalidRecordFileError naming the file and line of the first problem.
 *
 * - `.jsonl`: one JSON object per line; blank lines are skipped; CRLF and LF both end a line.
 * - `.csv`: RFC 4180, parsed by csv-parse. The first row is the header (names trimmed, unique, non-empty); every other
 *   row has exactly as many fields; quoted fields may hold commas, quotes (`""`) and line breaks;
 *   rows end with CRLF, LF or CR; empty lines are skipped; values stay strings.
 * - `.txt`, `.md`: one record per file, `{"text": <the whole file>}` with line endings turned into
 *   LF and leading/trailing whitespace trimmed; an empty document is refused.
 */
import {type Options as CsvOptions, parse as parseCsvText} from 'csv-parse/sync'

import {InvalidRecordFileError} from './errors.js'

export type ParsedRow = {line: number; row: Record<string, unknown>}

export const TEXT_EXTENSIONS = ['.jsonl', '.csv', '.txt', '.md'] as const
export const MEDIA_EXTENSIONS = {
  image: {'.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp'},
  audio: {'.wav': 'audio/wav', '.mp3': 'audio/mpeg', '.flac': 'audio/flac', '.ogg': 'audio/ogg'},
} as const

const decoder = new TextDecoder('utf-8', {fatal: true, ignoreBOM: false})

/** Strict UTF-8 decoding (the BOM is dropped); invalid bytes are refused naming their line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return decoder.decode(bytes)
  } catch {
    const at = firstInvalidUtf8(bytes)
    let line = 1
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++
    throw new InvalidRecordFileError(
      file,
      line,
      `invalid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0') ?? '??'} at offset ${at})`,
    )
  }
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (bytes.length if none). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  const n = bytes.length
  while (i < n) {
    const b = bytes[i]
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) lo = 0xa0
      if (b === 0xed) hi = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) lo = 0x90
      if (b === 0xf4) hi = 0x8f
    } else return i
    if (i + need >= n) return i
    const c1 = bytes[i + 1]
    if (c1 === undefined || c1 < lo || c1 > hi) return i
    for (let k = 2; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined || c < 0x80 || c > 0xbf) return i
    }
    i += need + 1
  }
  return n
}

export function parseJsonl(text: string, file: string): ParsedRow[] {
  const rows: ParsedRow[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      throw new InvalidRecordFileError(file, i + 1, `not valid JSON (${(err as Error).message.split('\n')[0]})`)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidRecordFileError(
        file,
        i + 1,
        `expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      )
    }
    rows.push({line: i + 1, row: value as Record<string, unknown>})
  }
  return rows
}

/** RFC 4180 CSV with a header row. */
export function parseCsv(text: string, file: string): ParsedRow[] {
  const records = csvRecords(text, file)
  const header = records.shift()
  if (!header) return []
  const names = header.fields.map((f) => f.trim())
  const seen = new Set<string>()
  for (const [i, name] of names.entries()) {
    if (name === '') throw new InvalidRecordFileError(file, header.line, `header column ${i + 1} has no name`)
    if (seen.has(name)) throw new InvalidRecordFileError(file, header.line, `header names column "${name}" twice`)
    seen.add(name)
  }
  return records.map(({line, fields}) => {
    if (fields.length !== names.length) {
      throw new InvalidRecordFileError(
        file,
        line,
        `row has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${names.length}`,
      )
    }
    return {line, row: Object.fromEntries(names.map((n, i) => [n, fields[i]]))}
  })
}

/** Line breaks (CRLF, LF or a lone CR, each one break) in text[from, to). */
function lineBreaks(text: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) n++
  }
  return n
}

/**
 * The line a record starts on, from csv-parse's count of lines at its end and its raw text: the
 * raw text starts with any empty lines skipped before it and ends with its record delimiter.
 */
function startLine(endLine: number, raw: string): number {
  let from = 0
  while (from < raw.length && (raw[from] === '\n' || raw[from] === '\r')) from++
  let to = raw.length
  if (raw.endsWith('\r\n')) to -= 2
  else if (raw.endsWith('\n') || raw.endsWith('\r')) to -= 1
  return endLine - lineBreaks(raw, Math.min(from, to), to)
}

/**
 * CSV records with the line each starts on; empty lines are skipped. Parsing is csv-parse's
 * (RFC 4180, strict quotes); its errors become one line naming the file and line.
 */
export function csvRecords(text: string, file: string): Array<{line: number; fields: string[]}> {
  let lastEnd = 0
  let records: Array<{record: string[]; info: {lines: number}; raw: string}>
  try {
    const options: CsvOptions = {
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: (record, context) => {
        lastEnd = context.lines
        return record
      },
    }
    records = parseCsvText(text, options) as unknown as typeof records
  } catch (err) {
    const e = err as Error & {code?: string; lines?: number}
    const at = e.lines ?? lastEnd + 1
    switch (e.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        // The unterminated record starts on the first non-empty line after the last complete one.
        throw new InvalidRecordFileError(file, firstNonEmptyLineAfter(text, lastEnd), 'quoted field is never closed')
      case 'INVALID_OPENING_QUOTE':
        throw new InvalidRecordFileError(file, at, 'a quote inside an unquoted field (quote the whole field and double the quote)')
      case 'CSV_INVALID_CLOSING_QUOTE': {
        const got = /got "(.*)" at line/s.exec(e.message)?.[1]
        throw new InvalidRecordFileError(file, at, `unexpected character ${JSON.stringify(got ?? '?')} after a closing quote`)
      }
      default:
        throw new InvalidRecordFileError(file, at, `not valid CSV (${e.message.split('\n')[0]})`)
    }
  }
  return records.map(({record, info, raw}) => ({line: startLine(info.lines, raw), fields: record}))
}

/** The number of the first line after line `after` that holds anything. */
function firstNonEmptyLineAfter(text: string, after: number): number {
  let line = 1
  let i = 0
  for (; i < text.length && line <= after; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++
  }
  while (i < text.length && (text[i] === '\n' || text[i] === '\r')) {
    if (text[i] === '\n' || text[i + 1] !== '\n') line++
    i++
  }
  return line
}

/** A .txt or .md file is one record: its whole text. */
export function parseDocument(text: string, file: string): ParsedRow[] {
  const body = text.replace(/\r\n?/g, '\n').trim()
  if (body === '') throw new InvalidRecordFileError(file, undefined, 'empty document')
  return [{line: 1, row: {text: body}}]
}
