import type {Device} from '../backend.js'

/** A frozen text encoder: texts in, one L2-normalised vector per text out. */
export interface Encoder {
  /** `builtin:<id>`, a hub id, or `local:<folder name>`. */
  readonly id: string
  /** sha256 over the encoder's files: part of every embedding cache key and artifact. */
  readonly hash: string
  readonly dim: number
  readonly device: Device
  readonly kind: 'builtin' | 'transformers'
  /** Row-major n × dim. */
  encode(texts: string[]): Promise<Float32Array>
  dispose(): Promise<void>
}
