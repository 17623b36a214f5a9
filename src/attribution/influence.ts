/**
 * Gradient attribution over the trainable part (adapter + head), one method per module under
 * influence/: the shared per-model state (attributor), grad-dot and TracIn, the exact head influence
 * function (Hessian, its solve, the scoring pass), self-influence, the representer decomposition,
 * the factor's cache and the streamed queries over a state kept on disk.
 */
export * from './influence/attributor.js'
export * from './influence/gradient-dot.js'
export * from './influence/self-tracin.js'
export * from './influence/head-hessian.js'
export * from './influence/solve-head-hessian.js'
export * from './influence/head-influence.js'
export * from './influence/self-influence.js'
export * from './influence/representer.js'
export * from './influence/hessian-cache.js'
export * from './influence/streamed.js'
