import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {
  SafetensorsFile,
  SafetensorsWriter,
  decodeSafetensors,
  decodeSafetensorsRaw,
  encodeSafetensors,
  readCacheFile,
  withSafetensorsFile,
  writeSafetensorsFile,
} from '../../src/model/safetensors.js'
import {CorruptFileError} from '../../src/store/atomic.js'
import {floatToHalf, toFloat16Bytes, toFloat32} from '../../src/model/half.js'
import {tempDir} from '../helpers/env.js'

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

describe('safetensors files: streamed writes, reads by position', () => {
  const {dir, cleanup} = tempDir('ol-st-')
  afterAll(cleanup)

  const rows = 1000
  const dim = 7
  const matrix = Float32Array.from({length: rows * dim}, (_, i) => i * 0.5 - 3)
  const ids = Uint32Array.from({length: rows}, (_, i) => rows - i)
  const hessian = Float64Array.from({length: 9}, (_, i) => i / 3)

  it('streams tensors in chunks into a file a spec reader reads, with __metadata__', () => {
    const path = join(dir, 'streamed.safetensors')
    const writer = new SafetensorsWriter(
      path,
      [
        {name: 'emb', dtype: 'F32', shape: [rows, dim]},
        {name: 'ids', dtype: 'U32', shape: [rows]},
        {name: 'h', dtype: 'F64', shape: [3, 3]},
      ],
      {key: 'k1', version: '2', encoder: '0xabc'},
    )
    for (let r = 0; r < rows; r += 64) writer.write('emb', matrix.subarray(r * dim, Math.min(rows, r + 64) * dim))
    writer.write('ids', ids)
    // Raw bytes go in too, split anywhere.
    const hb = new Uint8Array(hessian.buffer)
    writer.write('h', hb.subarray(0, 5))
    writer.write('h', hb.subarray(5))
    // Nothing is visible before commit.
    expect(readdirSync(dir).filter((f) => f === 'streamed.safetensors')).toEqual([])
    writer.commit()
    expect(readdirSync(dir)).toEqual(['streamed.safetensors'])

    const bytes = readFileSync(path)
    const {n, header} = specRead(bytes)
    expect((8 + n) % 8).toBe(0)
    expect(header.__metadata__).toEqual({key: 'k1', version: '2', encoder: '0xabc'})
    expect(header.ids).toEqual({dtype: 'U32', shape: [rows], data_offsets: [rows * dim * 4, rows * dim * 4 + rows * 4]})
    expect(8 + n + header.h.data_offsets[1]).toBe(bytes.length)
    // The F32 tensor as the spec reader sees it.
    expect(specRead(bytes).out.emb.values.slice(0, 3)).toEqual([-3, -2.5, -2])
  })

  it('reads the header, whole tensors and row ranges by position', () => {
    const path = join(dir, 'streamed.safetensors')
    withSafetensorsFile(path, (f) => {
      expect(f.metadata).toEqual({key: 'k1', version: '2', encoder: '0xabc'})
      expect(f.info('emb')).toMatchObject({dtype: 'F32', shape: [rows, dim]})
      expect(f.read('ids')).toEqual(ids)
      expect(f.read('h')).toEqual(hessian)
      expect(f.readRows('emb', 10, 13)).toEqual(matrix.slice(10 * dim, 13 * dim))
      expect(f.readRows('emb', rows - 1, rows)).toEqual(matrix.slice((rows - 1) * dim))
      expect(f.readRows('emb', 5, 5).length).toBe(0)
      const into = new Float32Array(4 * dim).fill(-1)
      f.readRowsInto('emb', 20, 22, into, dim)
      expect(Array.from(into)).toEqual([...new Array(dim).fill(-1), ...matrix.slice(20 * dim, 22 * dim), ...new Array(dim).fill(-1)])
      expect(() => f.readRowsInto('emb', 0, 4, into, dim)).toThrow(/do not fit/)
      expect(() => f.readRowsInto('ids', 0, 1, into)).toThrow(/is U32, not Float32Array/)
      expect(f.readBytes('ids', 4, 8)).toEqual(new Uint8Array(ids.buffer, 4, 4))
      expect(() => f.readRows('emb', 999, 1001)).toThrow(/rows 999..1001 outside tensor emb of 1000 rows/)
      expect(() => f.info('nope')).toThrow(/has no tensor nope/)
    })
  })

  it('writes from whole arrays and iterables, and the file decodes as before', () => {
    const path = join(dir, 'whole.safetensors')
    writeSafetensorsFile(path, [
      {name: 'a', dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4])},
      {name: 'b', dtype: 'F32', shape: [3], data: [Float32Array.from([5]), Float32Array.from([6, 7])]},
    ])
    const {tensors} = decodeSafetensors(readFileSync(path))
    expect(Array.from(tensors.a.data)).toEqual([1, 2, 3, 4])
    expect(Array.from(tensors.b.data)).toEqual([5, 6, 7])
  })

  it('refuses out-of-order, oversized, mistyped and incomplete writes, leaving no file behind', () => {
    const specs = [
      {name: 'x', dtype: 'F32' as const, shape: [2]},
      {name: 'y', dtype: 'I32' as const, shape: [1]},
    ]
    const path = join(dir, 'bad.safetensors')
    const w1 = new SafetensorsWriter(path, specs)
    expect(() => w1.write('y', Int32Array.from([1]))).toThrow(/y written out of order \(expected x\)/)
    expect(() => w1.write('x', new Float32Array(3))).toThrow(/more bytes than its shape holds/)
    expect(() => w1.write('x', new Float64Array(1))).toThrow(/x is F32, got Float64Array/)
    w1.write('x', new Float32Array(2))
    expect(() => w1.commit()).toThrow(/tensor y is missing 4 bytes/)
    expect(readdirSync(dir).filter((f) => f.includes('bad'))).toEqual([])
    expect(() => new SafetensorsWriter(path, [{name: '__metadata__', dtype: 'F32', shape: [1]}])).toThrow(/reserved/)
  })

  it('names the file when it is truncated or its header is not JSON', () => {
    const good = readFileSync(join(dir, 'streamed.safetensors'))
    const cut = join(dir, 'cut.safetensors')
    writeFileSync(cut, good.subarray(0, good.length - 4))
    expect(() => SafetensorsFile.open(cut)).toThrow(new RegExp(`${cut} is corrupt: tensor h has offsets outside the file`))
    const broken = Buffer.from(good)
    broken[8] = 0x5b
    broken[9] = 0x5b
    writeFileSync(cut, broken)
    expect(() => SafetensorsFile.open(cut)).toThrow(/is corrupt: the header is not/)
    writeFileSync(cut, good.subarray(0, 6))
    expect(() => SafetensorsFile.open(cut)).toThrow(/is corrupt: shorter than the 8-byte header length/)
  })
})

describe('readCacheFile', () => {
  const tmp = tempDir('openledger-cache-file-')
  afterAll(() => tmp.cleanup())
  const identity = {format: 'test-cache', version: '1', key: 'abc'}
  const path = join(tmp.dir, 'c.safetensors')
  writeSafetensorsFile(path, [{name: 'x', dtype: 'F32', shape: [2], data: new Float32Array([1, 2])}], identity)
  const readX = (file: SafetensorsFile) => Array.from(file.read<'F32'>('x'))

  it('answers only for its own format, version and key', () => {
    expect(readCacheFile(path, identity, readX)).toEqual([1, 2])
    expect(readCacheFile(path, {...identity, key: 'other'}, readX)).toBeUndefined()
    expect(readCacheFile(path, {...identity, version: '2'}, readX)).toBeUndefined()
    expect(readCacheFile(path, {...identity, format: 'another'}, readX)).toBeUndefined()
    expect(readCacheFile(join(tmp.dir, 'missing.safetensors'), identity, readX)).toBeUndefined()
  })

  it('treats a damaged file, or one the reader finds inconsistent, as a miss; other errors propagate', () => {
    const damaged = join(tmp.dir, 'damaged.safetensors')
    writeFileSync(damaged, readFileSync(path).subarray(0, 20))
    expect(readCacheFile(damaged, identity, readX)).toBeUndefined()
    expect(
      readCacheFile(path, identity, () => {
        throw new CorruptFileError(path, 'tensor x has the wrong shape')
      }),
    ).toBeUndefined()
    expect(() =>
      readCacheFile(path, identity, () => {
        throw new TypeError('a bug in the reader')
      }),
    ).toThrow(TypeError)
  })
})

describe('half-precision tensors (F16, BF16)', () => {
  const tmp = tempDir('openledger-half-')
  afterAll(() => tmp.cleanup())
  const values = Float32Array.from([0, 1, -2.5, 65504, 0.1, -0.333251953125])

  it('writes F16/BF16 bits from a Uint16Array, reads them back raw and widens them exactly', () => {
    const path = join(tmp.dir, 'half.safetensors')
    const f16 = new Uint16Array(values.length)
    for (let i = 0; i < values.length; i++) f16[i] = floatToHalf(values[i])
    const bf16 = new Uint16Array(new Uint32Array(values.buffer.slice(0)).map((x) => x >>> 16))
    writeSafetensorsFile(path, [
      {name: 'h', dtype: 'F16', shape: [2, 3], data: f16},
      {name: 'b', dtype: 'BF16', shape: [6], data: bf16},
    ])
    const header = JSON.parse(
      readFileSync(path)
        .subarray(8, 8 + Number(readFileSync(path).readBigUInt64LE(0)))
        .toString('utf8'),
    )
    expect(header.h).toEqual({dtype: 'F16', shape: [2, 3], data_offsets: [0, 12]})
    expect(header.b).toEqual({dtype: 'BF16', shape: [6], data_offsets: [12, 24]})
    withSafetensorsFile(path, (f) => {
      expect(Array.from(f.read<'F16'>('h'))).toEqual(Array.from(f16))
      expect(Array.from(toFloat32({...f.info('h'), bytes: f.readBytes('h')}))).toEqual([
        0, 1, -2.5, 65504, 0.0999755859375, -0.333251953125,
      ])
      // bfloat16 keeps float32's exponent and 7 mantissa bits: the top half of each float.
      expect(Array.from(toFloat32({...f.info('b'), bytes: f.readBytes('b')}))).toEqual([0, 1, -2.5, 65280, 0.099609375, -0.33203125])
    })
    const raw = decodeSafetensorsRaw(readFileSync(path))
    expect(raw.tensors.h.dtype).toBe('F16')
    expect(Array.from(raw.tensors.h.bytes)).toEqual(Array.from(toFloat16Bytes(values)))
    expect(() => decodeSafetensors(readFileSync(path))).toThrow('has dtype F16; only F32 is supported')
  })

  it('refuses a Float32Array for an F16 tensor and widens only float dtypes', () => {
    const w = new SafetensorsWriter(join(tmp.dir, 'typed.safetensors'), [{name: 'h', dtype: 'F16', shape: [2]}])
    expect(() => w.write('h', new Float32Array(1))).toThrow(/h is F16, got Float32Array/)
    w.abort()
    expect(() => toFloat32({dtype: 'I32', shape: [1], bytes: new Uint8Array(4)})).toThrow('dtype I32; supported: F32, F16, BF16')
  })
})
