import type {Hex} from 'viem'

const HEX_CHARS = '0123456789abcdef'
const BYTE_TO_HEX: string[] = Array.from({length: 256}, (_, i) => HEX_CHARS[i >> 4] + HEX_CHARS[i & 15])
const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i
  NIBBLE[97 + i] = 10 + i
}

/** Lowercase 0x-hex of bytes[from, from+length). */
export function toHex(bytes: Uint8Array, from = 0, length = bytes.length - from): Hex {
  let out = '0x'
  for (let i = from; i < from + length; i++) out += BYTE_TO_HEX[bytes[i]]
  return out as Hex
}

/**
 * Decodes a 0x-prefixed hex string of exactly `length` bytes into out[offset…]. Returns false, and
 * writes garbage, when it is not one.
 */
export function hexInto(hex: string, length: number, out: Uint8Array, offset: number): boolean {
  if (hex.length !== 2 + 2 * length || hex.charCodeAt(0) !== 48 || (hex.charCodeAt(1) | 32) !== 120) return false
  for (let i = 0, p = 2; i < length; i++, p += 2) {
    const a = hex.charCodeAt(p)
    const b = hex.charCodeAt(p + 1)
    const hi = a < 128 ? NIBBLE[a] : -1
    const lo = b < 128 ? NIBBLE[b] : -1
    if (hi < 0 || lo < 0) return false
    out[offset + i] = (hi << 4) | lo
  }
  return true
}

/** Compares 32-byte words a[ao…] and b[bo…] as big-endian numbers. */
export function compare32(a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  for (let i = 0; i < 32; i++) {
    const d = a[ao + i] - b[bo + i]
    if (d !== 0) return d
  }
  return 0
}
