/**
 * Matrix products for the engine, written so that every kernel tfjs runs is a plain matMul (no
 * transpose flags). Measured on the wasm backend (bench sizes, 512 tokens × 256 → 256/688): a
 * matMul with transposeB or transposeA takes 10–40× longer than an explicit tf.transpose followed
 * by a plain matMul, and tfjs's own MatMul gradient uses those flags. So weights are stored
 * transposed ([in, out]) and the gradients below transpose explicitly. Likewise a batched matMul
 * (rank > 2, batch > 1) takes ~16× longer on wasm than the same products as 2-D matMuls one slice
 * at a time (16 × [256, 32]·[32, 128]: 27 ms against 2 ms), so on the CPU attention's per-head
 * products are run slice by slice.
 */
import * as tf from '@tensorflow/tfjs'

/** Swaps the last two axes. */
function t(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i)
  perm[perm.length - 1] = perm.length - 2
  perm[perm.length - 2] = perm.length - 1
  return tf.transpose(x, perm)
}

/** a · b with no transpose flags; batched operands go slice by slice on the CPU backends. */
function mm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank <= 2 || tf.getBackend() === 'webgpu') return tf.matMul(a, b)
  const lead = a.shape.slice(0, -2)
  const n = lead.reduce((x, y) => x * y, 1)
  if (n === 1) return tf.matMul(a, b)
  const [m, k] = a.shape.slice(-2)
  const cols = b.shape[b.rank - 1]
  const as = tf.split(tf.reshape(a, [n * m, k]), n, 0) as tf.Tensor2D[]
  const bs = tf.split(tf.reshape(b, [n * k, cols]), n, 0) as tf.Tensor2D[]
  return tf.reshape(
    tf.concat(
      as.map((x, i) => tf.matMul(x, bs[i])),
      0,
    ),
    [...lead, m, cols],
  )
}

type Save = (tensors: tf.Tensor[]) => void
type CustomGradFn = Parameters<typeof tf.customGrad>[0]

/** x [.., in] · wt [in, out] for a frozen weight: only x gets a gradient (dx = dy · wtᵀ). */
export function linearFrozen(x: tf.Tensor2D, wt: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, _save: Save) => ({
    value: tf.matMul(xi as tf.Tensor2D, wt),
    gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, t(wt) as tf.Tensor2D)],
  })) as unknown as CustomGradFn)
  return f(x) as tf.Tensor2D
}

/** a · bᵀ (both may be batched with equal leading axes); gradients for both. */
export function matMulBT<T extends tf.Tensor>(a: T, b: T): T {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: Save) => {
    save([ai, bi])
    return {
      value: mm(ai, t(bi)),
      gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [mm(dy, sb), mm(t(dy), sa)],
    }
  }) as unknown as CustomGradFn)
  return f(a, b) as T
}

/** a · b (both may be batched with equal leading axes); gradients for both. */
export function matMulNN<T extends tf.Tensor>(a: T, b: T): T {
  const f = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: Save) => {
    save([ai, bi])
    return {
      value: mm(ai, bi),
      gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [mm(dy, t(sb)), mm(t(sa), dy)],
    }
  }) as unknown as CustomGradFn)
  return f(a, b) as T
}

/** The three products, with gradients (training, scoring gradients) or without (generation). */
export type MatMulOps = {linearFrozen: typeof linearFrozen; matMulBT: typeof matMulBT; matMulNN: typeof matMulNN}

export const GRAD_OPS: MatMulOps = {linearFrozen, matMulBT, matMulNN}

/** Plain kernels without the custom-gradient scopes, which cost a few ms per generated token. */
export const INFERENCE_OPS: MatMulOps = {
  linearFrozen: (x, wt) => tf.matMul(x, wt),
  matMulBT: (a, b) => mm(a, t(b)) as typeof a,
  matMulNN: (a, b) => mm(a, b) as typeof a,
}
