/**
 * Record file formats. Each parser takes decoded text and returns rows with the 1-based line each
 * row starts on; it throws InvalidRecordFileError naming the file and line of the first problem.
 *
 * - `.jsonl`: one JSON object per line; blank lines are skipped; CRLF and LF both end a line.
 * - `.csv`: RFC 4180. The first row is the header (names trimmed, unique, non-empty); every other
 *   row has exactly as many fields; quoted fields may hold commas, quotes (`""`) and line breaks;
 *   rows end with CRLF, LF or CR; empty lines are skipped; values stay strings.
 * - `.txt`, `.md`: one record per file, `{"text": <the whole file>}` with line endings turned into
 *   LF and leading/trailing whitespace trimmed; an empty document is refused.
 */
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
    throw new InvalidRecordFileError(file, line, `invalid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0') ?? '??'} at offset ${at})`)
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
      throw new InvalidRecordFileError(file, i + 1, `expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`)
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
      throw new InvalidRecordFileError(file, line, `row has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${names.length}`)
    }
    return {line, row: Object.fromEntries(names.map((n, i) => [n, fields[i]]))}
  })
}

/** CSV records with the line each starts on; empty lines are skipped. */
export function csvRecords(text: string, file: string): Array<{line: number; fields: string[]}> {
  const out: Array<{line: number; fields: string[]}> = []
  const n = text.length
  let i = 0
  let line = 1
  while (i < n) {
    const startLine = line
    const fields: string[] = []
    let field = ''
    let rowDone = false
    // An empty line is no record.
    if (text[i] === '\n' || text[i] === '\r') {
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1
      line++
      continue
    }
    while (!rowDone) {
      if (text[i] === '"') {
        const quoteLine = line
        i++
        for (;;) {
          if (i >= n) throw new InvalidRecordFileError(file, quoteLine, 'quoted field is never closed')
          const c = text[i]
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (c === '\n') line++
          else if (c === '\r' && text[i + 1] !== '\n') line++
          field += c
          i++
        }
        const next = text[i]
        if (i < n && next !== ',' && next !== '\n' && next !== '\r') {
          throw new InvalidRecordFileError(file, line, `unexpected character ${JSON.stringify(next)} after a closing quote`)
        }
      } else {
        let j = i
        while (j < n) {
          const c = text[j]
          if (c === ',' || c === '\n' || c === '\r') break
          if (c === '"') throw new InvalidRecordFileError(file, line, 'a quote inside an unquoted field (quote the whole field and double the quote)')
          j++
        }
        field = text.slice(i, j)
        i = j
      }
      fields.push(field)
      field = ''
      if (i >= n) rowDone = true
      else if (text[i] === ',') {
        i++
        if (i >= n) fields.push('')
        rowDone = i >= n
      } else {
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1
        line++
        rowDone = true
      }
    }
    out.push({line: startLine, fields})
  }
  return out
}

/** A .txt or .md file is one record: its whole text. */
export function parseDocument(text: string, file: string): ParsedRow[] {
  const body = text.replace(/\r\n?/g, '\n').trim()
  if (body === '') throw new InvalidRecordFileError(file, undefined, 'empty document')
  return [{line: 1, row: {text: body}}]
}
