/**
 * The field names a datanet's records have had, and what `datanet add` says about a record that
 * brings a new one: a misspelt key (`"lable"`) would otherwise become a field of its own, silently
 * splitting the data set. The names are kept in the manifest (`fields`), so checking an add costs
 * nothing per record already there.
 */
import {InvalidRecordFileError} from './errors.js'
import type {DatanetRecord} from './types.js'

/** A field a record brought that the datanet had never had: where it first appeared. */
export type NewField = {field: string; file: string; line: number; suggestion?: string}

/**
 * Optimal string alignment distance (Levenshtein plus swapping two neighbours, each edit 1):
 * "lable" is one swap from "label", where plain Levenshtein counts two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array(rows * cols)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1)
      d[i * cols + j] = v
    }
  }
  return d[rows * cols - 1]
}

/** The known field closest to `field` when it is close enough to be a typo of it (case ignored). */
export function suggestField(field: string, known: Iterable<string>): string | undefined {
  const lower = field.toLowerCase()
  // One edit in short names, about one in three characters in long ones.
  const limit = Math.max(1, Math.floor(field.length / 3))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const k of known) {
    const dist = editDistance(lower, k.toLowerCase())
    if (dist <= limit && dist < bestDistance) {
      best = k
      bestDistance = dist
    }
  }
  return best
}

/**
 * Checks records against a datanet's fields. `known` empty (a datanet without records yet): the
 * first add defines the fields, nothing is checked. Otherwise a new field is refused under
 * `strict` (one line naming file, line and field) or reported once (`newFields`) and accepted.
 */
export class FieldCheck {
  readonly known: Set<string>
  readonly newFields: NewField[] = []
  private readonly checking: boolean
  private readonly before: string[]

  constructor(
    known: readonly string[],
    private readonly strict: boolean,
    private readonly datanet: string,
  ) {
    this.known = new Set(known)
    this.before = [...known].sort()
    this.checking = known.length > 0
  }

  check(r: DatanetRecord, file: string, line: number): void {
    for (const field of Object.keys(r.fields)) {
      if (this.known.has(field)) continue
      if (!this.checking) {
        this.known.add(field)
        continue
      }
      const suggestion = suggestField(field, this.before)
      if (this.strict) {
        throw new InvalidRecordFileError(
          file,
          line,
          `field ${JSON.stringify(field)} is new to datanet "${this.datanet}" (its fields: ${this.before.join(', ')})${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`,
        )
      }
      this.known.add(field)
      this.newFields.push({field, file, line, ...(suggestion ? {suggestion} : {})})
    }
  }

  /** The fields after this add, sorted: what the manifest keeps. */
  fields(): string[] {
    return [...this.known].sort()
  }
}

/** The field names of some records (for manifests written before `fields` was kept). */
export function fieldsOf(forEach: (fn: (r: DatanetRecord) => void) => void): string[] {
  const names = new Set<string>()
  forEach((r) => {
    for (const k of Object.keys(r.fields)) names.add(k)
  })
  return [...names].sort()
}
