/**
 * The safetensors format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of
 * JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}},
 * then the tensor bytes (offsets relative to the end of the header). Only F32 is written here.
 */
export type Tensor = {shape: number[]; data: Float32Array}

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort()
  const header: Record<string, unknown> = {}
  if (metadata) header.__metadata__ = metadata
  let offset = 0
  for (const name of names) {
    const t = tensors[name]
    const count = t.shape.reduce((a, b) => a * b, 1)
    if (count !== t.data.length) throw new Error(`tensor ${name}: shape ${JSON.stringify(t.shape)} does not hold ${t.data.length} values`)
    header[name] = {dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength]}
    offset += t.data.byteLength
  }
  let json = JSON.stringify(header)
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8)
  const headerBytes = Buffer.from(json, 'utf8')
  const out = new Uint8Array(8 + headerBytes.length + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true)
  out.set(headerBytes, 8)
  let pos = 8 + headerBytes.length
  for (const name of names) {
    const d = tensors[name].data
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos)
    pos += d.byteLength
  }
  return out
}

/** Parses F32 tensors; throws a plain Error with the reason on any inconsistency. */
export function decodeSafetensors(bytes: Uint8Array): {tensors: Record<string, Tensor>; metadata?: Record<string, string>} {
  if (bytes.length < 8) throw new Error('shorter than the 8-byte header length')
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true))
  if (n <= 0 || 8 + n > bytes.length) throw new Error(`header length ${n} does not fit in ${bytes.length} bytes`)
  let header: Record<string, {dtype: string; shape: number[]; data_offsets: [number, number]}>
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'))
  } catch {
    throw new Error('the header is not valid JSON')
  }
  const dataStart = 8 + n
  const dataLength = bytes.length - dataStart
  const tensors: Record<string, Tensor> = {}
  let metadata: Record<string, string> | undefined
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>
      continue
    }
    if (info.dtype !== 'F32') throw new Error(`tensor ${name} has dtype ${info.dtype}; only F32 is supported`)
    const [begin, end] = info.data_offsets
    const count = info.shape.reduce((a, b) => a * b, 1)
    if (!(begin >= 0 && end <= dataLength && end - begin === count * 4)) throw new Error(`tensor ${name} has offsets outside the file or not matching its shape`)
    const copy = new Float32Array(count)
    new Uint8Array(copy.buffer).set(bytes.subarray(dataStart + begin, dataStart + end))
    tensors[name] = {shape: info.shape, data: copy}
  }
  return {tensors, metadata}
}
