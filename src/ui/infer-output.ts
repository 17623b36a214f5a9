/**
 * What `infer` prints for people: the attribution as a table (rank, score, weight, contributor,
 * the record's text), the fee's split, a file's predictions with their rows. Text columns are cut
 * to the terminal's width, so a row is one line.
 */
import type {TrainRecord} from '../model/datanet-source.js'

export type AttributedRecord = {recordHash: string; contributor: string; score: number}

/** Columns to fit: the terminal's width, 100 when piped (a log keeps its lines readable). */
export const outputWidth = (stream: NodeJS.WriteStream = process.stdout): number =>
  stream.isTTY && stream.columns > 0 ? stream.columns : 100

/** One line of `text`, at most `width` characters (whitespace folded, "…" where cut). */
export function cutText(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (width <= 1) return flat.length ? '…' : ''
  const chars = [...flat]
  return chars.length <= width ? flat : `${chars.slice(0, width - 1).join('')}…`
}

/**
 * Each record's share of the payment, as the receipt computes it (src/attribution/receipt.ts):
 * proportional to its positive score among the listed records; equal shares when none is positive.
 */
export function recordWeights(records: AttributedRecord[]): number[] {
  let pay = records.map((r) => Math.max(0, r.score))
  if (!pay.some((v) => v > 0)) pay = records.map(() => 1)
  const sum = pay.reduce((a, b) => a + b, 0)
  return pay.map((v) => (sum > 0 ? v / sum : 0))
}

/** What a record says, for one line: its text, or a prompt and response, or its fields as JSON. */
export function recordText(fields: Record<string, unknown> | undefined): string | undefined {
  if (!fields) return undefined
  if (typeof fields.text === 'string') return fields.text
  if (typeof fields.prompt === 'string' && typeof fields.response === 'string') return `${fields.prompt} → ${fields.response}`
  const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'contributor'))
  return Object.keys(rest).length ? JSON.stringify(rest) : undefined
}

/** The records' texts, by lower-case hash, from the datanet version the model was trained on; empty when it is not here. */
export async function recordTexts(
  datanet: {name: string; version: number | 'draft'},
  hashes: string[],
  stateDir?: string,
): Promise<Map<string, string>> {
  const want = new Set(hashes.map((h) => h.toLowerCase()))
  const out = new Map<string, string>()
  let records: TrainRecord[]
  try {
    const {loadDatanetSource} = await import('../model/datanet-source.js')
    const source = await loadDatanetSource({
      name: datanet.name,
      version: datanet.version === 'draft' ? undefined : datanet.version,
      allowDraft: datanet.version === 'draft',
      stateDir,
    })
    records = source.records
  } catch {
    return out
  }
  for (const r of records) {
    const key = r.recordHash.toLowerCase()
    if (!want.has(key)) continue
    const text = recordText(r.fields)
    if (text !== undefined) out.set(key, text)
  }
  return out
}

/**
 * The attribution table: rank, score, weight (the record's share of the payment), contributor
 * (checksummed, as the receipt has it) and the record's text, cut to `width`.
 */
export function attributionTable(records: AttributedRecord[], texts: Map<string, string>, width: number): string[] {
  const weights = recordWeights(records)
  const rank = String(records.length).length
  const head = `${'#'.padStart(rank)}  ${'score'.padStart(10)}  ${'weight'.padStart(6)}  ${'contributor'.padEnd(42)}  `
  const room = Math.max(12, width - head.length)
  const lines = [`${head}record`]
  records.forEach((r, i) => {
    const text = texts.get(r.recordHash.toLowerCase())
    const shown = text === undefined ? `${r.recordHash.slice(0, 18)}… (text not in this datanet copy)` : text
    lines.push(
      `${String(i + 1).padStart(rank)}  ${r.score.toExponential(2).padStart(10)}  ${`${(weights[i] * 100).toFixed(1)}%`.padStart(6)}  ${r.contributor.padEnd(42)}  ${cutText(shown, room)}`,
    )
  })
  return lines
}

export type PaidSplit = {platform: string; model: string; stakers: string; contributors: string}

/**
 * Where a paid fee went: the four shares, then each contributor's credit with its share of the
 * contributors' part. `format` turns wei into "… OPEN".
 */
export function splitLines(
  fee: bigint,
  split: PaidSplit,
  credited: Array<{address: string; amount: string}>,
  format: (wei: bigint) => string,
): string[] {
  const pct = (part: bigint, whole: bigint) => (whole > 0n ? `${(Number((part * 10_000n + whole / 2n) / whole) / 100).toFixed(2)}%` : '—')
  const parts: Array<[string, bigint]> = [
    ['platform', BigInt(split.platform)],
    ['model owner', BigInt(split.model)],
    ['stakers', BigInt(split.stakers)],
    ['contributors', BigInt(split.contributors)],
  ]
  const lines = [`Split of ${format(fee)}:`]
  for (const [name, wei] of parts) lines.push(`  ${name.padEnd(13)} ${pct(wei, fee).padStart(7)}  ${format(wei)}`)
  const toContributors = BigInt(split.contributors)
  for (const c of [...credited].sort((a, b) => (BigInt(b.amount) > BigInt(a.amount) ? 1 : BigInt(b.amount) < BigInt(a.amount) ? -1 : 0)))
    lines.push(`    ${c.address}  ${pct(BigInt(c.amount), toContributors).padStart(7)}  ${format(BigInt(c.amount))}`)
  return lines
}

/** A file's predictions, one line each: line number, label, probability, the row's text cut to `width`. */
export function predictionLines(rows: Array<{text: string; label: string; probability: number}>, width: number): string[] {
  const n = String(rows.length).length
  const labelWidth = Math.max(5, ...rows.map((r) => r.label.length))
  const head = `${'#'.padStart(n)}  ${'label'.padEnd(labelWidth)}  ${'prob'.padStart(6)}  `
  const room = Math.max(12, width - head.length)
  return [
    `${head}text`,
    ...rows.map(
      (r, i) =>
        `${String(i + 1).padStart(n)}  ${r.label.padEnd(labelWidth)}  ${`${(r.probability * 100).toFixed(1)}%`.padStart(6)}  ${cutText(r.text, room)}`,
    ),
  ]
}

/** The texts of an artifact's attributed records: the datanet version its training.json names. */
export async function artifactRecordTexts(artifactDir: string, hashes: string[]): Promise<Map<string, string>> {
  const {readFileSync} = await import('node:fs')
  const {join} = await import('node:path')
  try {
    const t = JSON.parse(readFileSync(join(artifactDir, 'training.json'), 'utf8')) as {datanet?: {name?: unknown; version?: unknown}}
    const name = t.datanet?.name
    const version = t.datanet?.version
    if (typeof name !== 'string' || (typeof version !== 'number' && version !== 'draft')) return new Map()
    return await recordTexts({name, version}, hashes)
  } catch {
    return new Map()
  }
}
