import {describe, expect, it} from 'vitest'

import {decodeSafetensors, encodeSafetensors} from '../../src/model/safetensors.js'

/** An independent reader written from the format's spec (huggingface/safetensors README). */
function specRead(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = Number(view.getBigUint64(0, true))
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))
  const out: Record<string, {dtype: string; shape: number[]; values: number[]}> = {}
  for (const [name, info] of Object.entries<any>(header)) {
    if (name === '__metadata__') continue
    const [b, e] = info.data_offsets
    const values: number[] = []
    for (let off = 8 + n + b; off < 8 + n + e; off += 4) values.push(view.getFloat32(off, true))
    out[name] = {dtype: info.dtype, shape: info.shape, values}
  }
  return {n, header, out}
}

describe('safetensors', () => {
  const tensors = {
    'head.W': {shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5])},
    'adapter.A': {shape: [1, 3], data: Float32Array.from([-1, 0, 1e-3])},
    'input.mean': {shape: [3], data: Float32Array.from([0.25, 0.5, 0.75])},
  }

  it('writes what a spec reader reads: header length, F32, shapes, contiguous offsets, 8-byte alignment', () => {
    const bytes = encodeSafetensors(tensors, {format: 'pt'})
    const {n, header, out} = specRead(bytes)
    expect((8 + n) % 8).toBe(0)
    expect(header.__metadata__).toEqual({format: 'pt'})
    expect(out['head.W']).toEqual({dtype: 'F32', shape: [2, 3], values: [1, 2, 3, 4, 5, 6.5]})
    expect(out['adapter.A'].values[2]).toBeCloseTo(1e-3, 7)
    const ranges = Object.entries<any>(header)
      .filter(([k]) => k !== '__metadata__')
      .map(([, v]) => v.data_offsets)
      .sort((a, b) => a[0] - b[0])
    expect(ranges[0][0]).toBe(0)
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1])
    expect(8 + n + ranges[ranges.length - 1][1]).toBe(bytes.length)
  })

  it('round-trips through its own reader', () => {
    const {tensors: back, metadata} = decodeSafetensors(encodeSafetensors(tensors, {epoch: '3'}))
    expect(metadata).toEqual({epoch: '3'})
    for (const [k, t] of Object.entries(tensors)) {
      expect(back[k].shape).toEqual(t.shape)
      expect(Array.from(back[k].data)).toEqual(Array.from(t.data))
    }
  })

  it('rejects truncated and inconsistent files with a reason', () => {
    const bytes = encodeSafetensors(tensors)
    expect(() => decodeSafetensors(bytes.subarray(0, 4))).toThrow(/8-byte/)
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/offsets/)
    const bad = bytes.slice()
    bad[9] = 0x7b // '{' where '"' was: the header JSON breaks
    bad[10] = 0x7b
    expect(() => decodeSafetensors(bad)).toThrow(/JSON/)
    expect(() => encodeSafetensors({x: {shape: [2, 2], data: new Float32Array(3)}})).toThrow(/shape/)
  })
})
