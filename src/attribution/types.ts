/**
 * Plain typed-array inputs of the attribution module. The model module converts its artifact
 * (safetensors, training.json, cached embeddings) into these; nothing here knows about files.
 *
 * Model: frozen encoder output h ∈ R^D per record; adapter h' = h + B·(A·h) with A: r×D, B: D×r
 * (r = 0 means no adapter); head W: C×(D+1) with the bias in the last column, x̂ = [h'; 1],
 * p = softmax(W x̂), residual r = p − onehot(y).
 */

/** Trainable weights, all row-major Float32Array. */
export type HeadAdapterWeights = {
  /** r×D */
  A: Float32Array
  /** D×r */
  B: Float32Array
  /** C×(D+1), bias in the last column */
  W: Float32Array
}

/** Weights saved at the end of one epoch, with the learning rate used during that epoch. */
export type CheckpointWeights = HeadAdapterWeights & {lr: number; epoch?: number}

/** Everything gradient attribution needs: the training set's encoder outputs, labels and weights. */
export type AttributionInput = {
  /** Number of training records. */
  N: number
  /** Encoder width. */
  D: number
  /** Number of classes. */
  C: number
  /** Adapter rank (0 for a head-only model). */
  r: number
  /** N×D encoder outputs, row-major, in training order. */
  H: Float32Array
  /** N label indices in [0, C). */
  labels: Int32Array
  /** Final weights (the model that answers queries). */
  A: Float32Array
  B: Float32Array
  W: Float32Array
  /** Per-epoch checkpoints, oldest first; may be empty (then TracIn is refused). */
  checkpoints: CheckpointWeights[]
  /** L2 strength of the training objective (AdamW weight decay / lr); the default Hessian damping. */
  l2?: number
}

/** Who is behind a training record. */
export type RecordMeta = {
  recordHash: string
  contributor: string
  datanet?: string
}

/** One test input to attribute: its encoder output and the label whose loss is explained. */
export type Query = {
  /** D encoder output of the query text. */
  h: Float32Array
  /** Label to explain; defaults to the model's predicted label. */
  label?: number
}

export type GradientBlocks = 'head' | 'all'

export type AttributionMethod = 'if' | 'tracin' | 'graddot' | 'representer' | 'spans' | 'embedding' | 'hybrid'
