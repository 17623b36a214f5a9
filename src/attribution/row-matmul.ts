import {loadOrt} from '../model/backend.js'

/**
 * The ONNX graph Y = H · Q with symbolic sizes (H: N×D, Q: D×M), built by
 * test/attribution/row-matmul.test.ts with onnx-proto, which checks these bytes.
 */
export const MATMUL_MODEL_B64 =
  'CAgSCm9wZW5sZWRnZXI6YgoUCgFICgFREgFZGgFZIgZNYXRNdWwSBWdyYXBoWhUKAUgSEAoOCAESCgoDEgFOCgMSAURaFQoBURIQCg4IARIKCgMSAUQKAxIBTWIVCgFZEhAKDggBEgoKAxIBTgoDEgFNQgQKABAR'

type Ort = Awaited<ReturnType<typeof loadOrt>>
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>

/**
 * Products of the training matrix H (N×D, fixed per model) with a few query directions at once,
 * through ONNX Runtime's MatMul: vectorised and multi-threaded where plain JS loops are scalar, so a
 * query over 100k records costs about one pass over memory. H is wrapped, not copied.
 */
export class RowMatmul {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly h: InstanceType<Ort['Tensor']>,
    readonly N: number,
    readonly D: number,
  ) {}

  static async create(H: Float32Array, N: number, D: number, device: 'cpu' | 'webgpu' | 'cuda' = 'cpu'): Promise<RowMatmul> {
    const ort = await loadOrt()
    const session = await ort.InferenceSession.create(Buffer.from(MATMUL_MODEL_B64, 'base64'), {
      executionProviders: [device],
      logSeverityLevel: 4,
    })
    return new RowMatmul(ort, session, new ort.Tensor('float32', H.subarray(0, N * D), [N, D]), N, D)
  }

  /** N×M row-major: out[i·M + k] = H_i · Q_k, for the M rows of Q (M×D, row-major). */
  async run(Q: Float64Array, M: number): Promise<Float32Array> {
    const {D} = this
    const qt = new Float32Array(D * M)
    for (let k = 0; k < M; k++) for (let j = 0; j < D; j++) qt[j * M + k] = Q[k * D + j]
    const out = await this.session.run({H: this.h, Q: new this.ort.Tensor('float32', qt, [D, M])})
    return out.Y.data as Float32Array
  }

  async dispose(): Promise<void> {
    await this.session.release()
  }
}
