/** ANSI colour only for a terminal that wants it: never when piped, under NO_COLOR, or in CI logs. */
export function colorEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR === '0') return false
  return Boolean(stream.isTTY)
}

const wrap = (open: number, close: number) => (text: string, stream?: NodeJS.WriteStream) =>
  colorEnabled(stream) ? `\u001B[${open}m${text}\u001B[${close}m` : text

export const red = wrap(31, 39)
export const green = wrap(32, 39)
export const yellow = wrap(33, 39)
export const dim = wrap(2, 22)
export const bold = wrap(1, 22)
