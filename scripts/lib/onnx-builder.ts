// A small helper over onnx-proto for building ONNX graphs in scripts and tests (dev only: onnx-proto
// is a devDependency, so nothing under src/ imports this file).
import onnxProto from 'onnx-proto'
import {floatToHalf} from '../../src/model/half.js'

const {onnx} = onnxProto as unknown as typeof import('onnx-proto')

export const DT = onnx.TensorProto.DataType

type Dim = number | string
export type Attr = number | number[] | string | {floats: number[]}

export class GraphBuilder {
  private nodes: import('onnx-proto').onnx.INodeProto[] = []
  private inits: import('onnx-proto').onnx.ITensorProto[] = []
  private inputs: import('onnx-proto').onnx.IValueInfoProto[] = []
  private outputs: import('onnx-proto').onnx.IValueInfoProto[] = []
  private n = 0

  input(name: string, type: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims))
    return name
  }

  output(name: string, type: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims))
  }

  /** A float32, int64 or float16 (raw bits in a Uint16Array) constant. */
  init(name: string, dims: number[], data: Float32Array | BigInt64Array | Uint16Array | Int32Array): string {
    let type: number
    if (data instanceof Float32Array) type = DT.FLOAT
    else if (data instanceof BigInt64Array) type = DT.INT64
    else if (data instanceof Int32Array) type = DT.INT32
    else type = DT.FLOAT16
    this.inits.push({name, dims, dataType: type, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)})
    return name
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.n++}`
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'number') {
        return Number.isInteger(v)
          ? {name, type: onnx.AttributeProto.AttributeType.INT, i: v}
          : {name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v}
      }
      if (typeof v === 'string') return {name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v)}
      if (Array.isArray(v)) return {name, type: onnx.AttributeProto.AttributeType.INTS, ints: v}
      return {name, type: onnx.AttributeProto.AttributeType.FLOATS, floats: v.floats}
    })
    this.nodes.push({opType, input: inputs, output: [out], name: out, attribute})
    return out
  }

  /** Serialises the graph as an ONNX model (IR 8, opset 17). */
  build(name = 'graph', opset = 17): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'openledger',
      opsetImport: [{domain: '', version: opset}],
      graph: {name, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs},
    })
    return onnx.ModelProto.encode(model).finish()
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): import('onnx-proto').onnx.IValueInfoProto {
  return {
    name,
    type: {tensorType: {elemType, shape: {dim: dims.map((d) => (typeof d === 'number' ? {dimValue: d} : {dimParam: d}))}}},
  }
}

/** float32 → IEEE half bits (round to nearest even), for float16 initializers: the project's one converter. */
export function toHalf(values: Float32Array): Uint16Array {
  return Uint16Array.from(values, floatToHalf)
}
