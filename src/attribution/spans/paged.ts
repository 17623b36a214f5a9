import {readSync} from 'node:fs'

import type {TensorInfo} from '../../model/safetensors.js'

/**
 * A column of integers read by position: an array in memory while an index is built, pages of a
 * stored file once it is opened (so a query reads the few pages its binary searches touch).
 */
export type IntColumn = {readonly length: number; get(i: number): number}

export function memoryColumn(a: Int32Array): IntColumn {
  return {length: a.length, get: (i) => a[i]}
}

/** A stored tensor to read by position: an open file and the tensor's byte range in it. */
export type StoredTensor = {fd: number; info: TensorInfo}

/**
 * A stored I32 (or U8) tensor read a page at a time through a direct-mapped cache: page p lives in
 * slot p mod `slots`, read (one pread, no allocation) straight into that slot's part of one
 * preallocated array. Memory stays `slots` pages whatever the file's size. A binary search's pages
 * are far apart, so a small page (one short pread) beats a large one, and the read goes to the
 * file descriptor directly: at a few thousand reads per query, a wrapper's checks are measurable.
 */
export function pagedColumn({fd, info}: StoredTensor, pageShift: number, slots: number): IntColumn {
  if (slots & (slots - 1)) throw new RangeError(`cache slots must be a power of two, got ${slots}`)
  const length = info.shape[0]
  const page = 1 << pageShift
  const mask = page - 1
  const data = info.dtype === 'U8' ? new Uint8Array(slots * page) : new Int32Array(slots * page)
  const width = data.BYTES_PER_ELEMENT
  const bytes = new Uint8Array(data.buffer)
  const tags = new Float64Array(slots).fill(-1)
  return {
    length,
    get(i) {
      const p = i >>> pageShift
      const slot = p & (slots - 1)
      if (tags[slot] !== p) {
        const start = p << pageShift
        const want = (Math.min(length, start + page) - start) * width
        tags[slot] = -1
        if (readSync(fd, bytes, slot * page * width, want, info.begin + start * width) !== want)
          throw new RangeError(`the file ends inside a ${info.name} page`)
        tags[slot] = p
      }
      return data[(slot << pageShift) | (i & mask)]
    },
  }
}
