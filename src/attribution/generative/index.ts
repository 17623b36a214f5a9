/** Proof of Attribution for generated text: stored LoRA gradients, DataInf/TracIn, spans, receipts. */
export * from './attribute.js'
export * from './errors.js'
export * from './projection.js'
export * from './scores.js'
export * from './store.js'
