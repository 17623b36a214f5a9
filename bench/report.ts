/** Shared printing for `npm run bench`: every row shows its time and, when it has one, the ratio to a baseline measured in the same run. */
export type Row = {name: string; ms: number; baseline?: number; note?: string}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function printTable(title: string, rows: Row[]): void {
  process.stdout.write(`\n${title}\n`)
  const width = Math.max(...rows.map((r) => r.name.length))
  for (const r of rows) {
    const ratio = r.baseline ? `  ${(r.ms / r.baseline).toFixed(2)}× baseline` : ''
    process.stdout.write(`  ${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(9)} ms${ratio}${r.note ? `  (${r.note})` : ''}\n`)
  }
}
