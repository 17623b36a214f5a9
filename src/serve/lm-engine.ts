/** What the OpenAI-compatible routes use of the engine, in one module loaded on the first generation request. */
export {adapterBaseDir, loadAdapter} from '../lm/artifact.js'
export {endTokenIds, promptIds, trainedWithChat} from '../lm/complete.js'
export {selectLmDevice} from '../lm/device.js'
export {generateBatch} from '../lm/generate.js'
export {loadLlamaBase} from '../lm/load.js'
export {disposeLora} from '../lm/lora.js'
export {disposeLlama} from '../lm/model.js'
