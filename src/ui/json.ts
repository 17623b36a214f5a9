/**
 * JSON for machines: bigints become decimal strings (wei amounts stay exact), no colour, one
 * document per command on stdout.
 */
export function toJsonText(value: unknown, pretty = true): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), pretty ? 2 : undefined)
}
