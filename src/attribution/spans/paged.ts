import type {SafetensorsFile} from '../../model/safetensors.js'

/**
 * A column of integers read by position: an array in memory while an index is built, pages of a
 * stored file once it is opened (so a query reads the few pages its binary searches touch).
 */
export type IntColumn = {readonly length: number; get(i: number): number}

export function memoryColumn(a: Int32Array): IntColumn {
  return {length: a.length, get: (i) => a[i]}
}

/**
 * A stored I32 (or U8) tensor read a page at a time through a direct-mapped cache: page p lives in
 * slot p mod `slots`, read straight into that slot's part of one preallocated array. Memory stays
 * `slots` pages whatever the file's size, and a hit costs no allocation; a binary search's pages are
 * far apart, so a small page (one short pread) beats a large one.
 */
export function pagedColumn(file: SafetensorsFile, name: string, pageShift: number, slots: number): IntColumn {
  if (slots & (slots - 1)) throw new RangeError(`cache slots must be a power of two, got ${slots}`)
  const info = file.info(name)
  const length = info.shape[0]
  const page = 1 << pageShift
  const mask = page - 1
  const data = info.dtype === 'U8' ? new Uint8Array(slots * page) : new Int32Array(slots * page)
  const tags = new Float64Array(slots).fill(-1)
  return {
    length,
    get(i) {
      const p = i >>> pageShift
      const slot = p & (slots - 1)
      if (tags[slot] !== p) {
        const start = p << pageShift
        tags[slot] = -1
        file.readRowsInto(name, start, Math.min(length, start + page), data, slot << pageShift)
        tags[slot] = p
      }
      return data[(slot << pageShift) | (i & mask)]
    },
  }
}
