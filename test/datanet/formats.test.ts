import {describe, expect, it} from 'vitest'

import {InvalidRecordFileError} from '../../src/datanet/errors.js'
import {csvRecords, decodeUtf8, firstInvalidUtf8, parseCsv, parseDocument, parseJsonl} from '../../src/datanet/formats.js'

function refusal(fn: () => unknown): InvalidRecordFileError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRecordFileError)
    return err as InvalidRecordFileError
  }
  throw new Error('expected a refusal')
}

describe('UTF-8', () => {
  it('decodes strictly and drops the BOM', () => {
    expect(decodeUtf8(new TextEncoder().encode('\ufeffcafé 🙂'), 'a.txt')).toBe('café 🙂')
  })

  it('refuses invalid bytes naming the line they are on', () => {
    const bytes = Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"fine"}\n{"text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')])
    const e = refusal(() => decodeUtf8(bytes, 'data/x.jsonl'))
    expect(e.shortMessage).toMatch(/^data\/x\.jsonl:3: invalid UTF-8/)
    expect(e.exitCode).toBe(2)
  })

  it('finds overlong forms, surrogates and truncated sequences', () => {
    expect(firstInvalidUtf8(Buffer.from('abc'))).toBe(3)
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1) // overlong NUL
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0) // UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2) // truncated €
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0) // above U+10FFFF
    expect(firstInvalidUtf8(Buffer.from('€𝄞', 'utf8'))).toBe(7)
  })
})

describe('JSONL', () => {
  it('reads one object per line, skipping blank lines, with CRLF, keeping unknown fields', () => {
    const rows = parseJsonl('{"text":"a","label":"x"}\r\n\r\n  \n{"text":"b","extra":{"n":[1,2]},"ünï":"ok"}', 'f.jsonl')
    expect(rows).toEqual([
      {line: 1, row: {text: 'a', label: 'x'}},
      {line: 4, row: {text: 'b', extra: {n: [1, 2]}, ünï: 'ok'}},
    ])
  })

  it('refuses bad JSON naming line N, and non-objects', () => {
    expect(refusal(() => parseJsonl('{"text":"a"}\n{"text":"b"}\n{"text": broken}\n', 'd.jsonl')).shortMessage).toMatch(
      /^d\.jsonl:3: not valid JSON/,
    )
    expect(refusal(() => parseJsonl('{"text":"a"}\n[1,2]\n', 'd.jsonl')).shortMessage).toBe(
      'd.jsonl:2: expected a JSON object, found an array',
    )
    expect(refusal(() => parseJsonl('"text"\n', 'd.jsonl')).shortMessage).toBe('d.jsonl:1: expected a JSON object, found string')
  })
})

describe('CSV (RFC 4180)', () => {
  it('reads a header and rows with quotes, doubled quotes, commas and line breaks in fields', () => {
    const text = 'text,label\r\n"hello, world",a\r\n"she said ""hi""",b\r\n"two\nlines",c\r\n\r\nplain,\r\n'
    expect(parseCsv(text, 'f.csv')).toEqual([
      {line: 2, row: {text: 'hello, world', label: 'a'}},
      {line: 3, row: {text: 'she said "hi"', label: 'b'}},
      {line: 4, row: {text: 'two\nlines', label: 'c'}},
      {line: 7, row: {text: 'plain', label: ''}},
    ])
  })

  it('handles LF, CR, no final newline and a trailing comma', () => {
    expect(csvRecords('a,b\nc,d', 'f.csv')).toEqual([
      {line: 1, fields: ['a', 'b']},
      {line: 2, fields: ['c', 'd']},
    ])
    expect(csvRecords('a,b\rc,', 'f.csv')).toEqual([
      {line: 1, fields: ['a', 'b']},
      {line: 2, fields: ['c', '']},
    ])
    expect(parseCsv('', 'f.csv')).toEqual([])
  })

  it('refuses a row with the wrong number of fields, naming its line', () => {
    const e = refusal(() => parseCsv('text,label\nok,a\n"multi\nline",b\nshort\n', 'f.csv'))
    expect(e.shortMessage).toBe('f.csv:5: row has 1 field, the header has 2')
    expect(refusal(() => parseCsv('text,label\na,b,c\n', 'f.csv')).shortMessage).toBe('f.csv:2: row has 3 fields, the header has 2')
  })

  it('refuses broken quoting and bad headers', () => {
    expect(refusal(() => parseCsv('text\n"never closed\n', 'f.csv')).shortMessage).toBe('f.csv:2: quoted field is never closed')
    expect(refusal(() => parseCsv('text\nok\n\n"never\nclosed\n', 'f.csv')).shortMessage).toBe('f.csv:4: quoted field is never closed')
    expect(refusal(() => parseCsv('text,label\n"two\nlines",a\nx,"b"c\n', 'f.csv')).shortMessage).toMatch(
      /^f\.csv:4: unexpected character "c" after a closing quote/,
    )
    expect(refusal(() => parseCsv('text\nab"c\n', 'f.csv')).shortMessage).toMatch(/^f\.csv:2: a quote inside an unquoted field/)
    expect(refusal(() => parseCsv('text\n"a"b\n', 'f.csv')).shortMessage).toMatch(
      /^f\.csv:2: unexpected character "b" after a closing quote/,
    )
    expect(refusal(() => parseCsv('text,text\n', 'f.csv')).shortMessage).toBe('f.csv:1: header names column "text" twice')
    expect(refusal(() => parseCsv('text,\n', 'f.csv')).shortMessage).toBe('f.csv:1: header column 2 has no name')
  })
})

describe('documents (.txt, .md)', () => {
  it('are one record each, line endings normalised and the ends trimmed', () => {
    expect(parseDocument('\r\n# Title\r\n\r\nBody\r\n', 'a.md')).toEqual([{line: 1, row: {text: '# Title\n\nBody'}}])
    expect(parseDocument('# Title\n\nBody\n', 'b.md')).toEqual(parseDocument('\r\n# Title\r\n\r\nBody\r\n', 'a.md'))
  })

  it('refuses an empty document', () => {
    expect(refusal(() => parseDocument(' \n\t\n', 'e.txt')).shortMessage).toBe('e.txt: empty document')
  })
})
