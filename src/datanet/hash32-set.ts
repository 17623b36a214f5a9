/**
 * A set of 32-byte keys (record hashes) held in two typed arrays: the keys back to back and an
 * open-addressed table of their positions. About 48 bytes a key, against some 200 for a Set of
 * 66-character hex strings, and no string made per lookup. Keys are keccak or sha256 outputs, so
 * their first four bytes already spread them evenly over the table.
 */
export class Hash32Set {
  private keys: Uint8Array
  private table: Int32Array
  private mask: number
  private count = 0

  constructor(expected = 1024) {
    this.keys = new Uint8Array(Math.max(16, expected) * 32)
    let slots = 16
    while (slots < expected * 2) slots *= 2
    this.table = new Int32Array(slots)
    this.mask = slots - 1
  }

  get size(): number {
    return this.count
  }

  private slotOf(src: Uint8Array, off: number): number {
    return ((src[off] << 24) | (src[off + 1] << 16) | (src[off + 2] << 8) | src[off + 3]) & this.mask
  }

  private equals(index: number, src: Uint8Array, off: number): boolean {
    const k = this.keys
    const base = index * 32
    for (let i = 0; i < 32; i++) if (k[base + i] !== src[off + i]) return false
    return true
  }

  has(src: Uint8Array, off = 0): boolean {
    for (let s = this.slotOf(src, off); ; s = (s + 1) & this.mask) {
      const v = this.table[s]
      if (v === 0) return false
      if (this.equals(v - 1, src, off)) return true
    }
  }

  /** Adds src[off…off+32); false when it was there already. */
  add(src: Uint8Array, off = 0): boolean {
    if ((this.count + 1) * 2 > this.table.length) this.grow()
    let s = this.slotOf(src, off)
    for (; ; s = (s + 1) & this.mask) {
      const v = this.table[s]
      if (v === 0) break
      if (this.equals(v - 1, src, off)) return false
    }
    if ((this.count + 1) * 32 > this.keys.length) {
      const bigger = new Uint8Array(this.keys.length * 2)
      bigger.set(this.keys)
      this.keys = bigger
    }
    this.keys.set(src.subarray(off, off + 32), this.count * 32)
    this.table[s] = ++this.count
    return true
  }

  /** Adds every key of a buffer of concatenated 32-byte keys. */
  addAll(keys: Uint8Array): void {
    for (let off = 0; off + 32 <= keys.length; off += 32) this.add(keys, off)
  }

  private grow(): void {
    const table = new Int32Array(this.table.length * 2)
    this.table = table
    this.mask = table.length - 1
    for (let i = 0; i < this.count; i++) {
      let s = this.slotOf(this.keys, i * 32)
      while (table[s] !== 0) s = (s + 1) & this.mask
      table[s] = i + 1
    }
  }
}
