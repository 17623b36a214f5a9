/** The language-model engine: load a Llama base, LoRA, training, generation, device selection. */
export {type LlamaConfig, expectedTensorShapes, parseLlamaConfig, readLlamaConfig} from './config.js'
export {type LmExample, type LmRecord, promptText, recordSpanText, tokenizeRecord, tokenizeRecords} from './data.js'
export {LM_DEVICES, type LmDevice, type LmDeviceRequest, currentLmDevice, describeLmDevice, probeWebgpu, selectLmDevice} from './device.js'
export {LmModelError, LmTrainingError} from './errors.js'
export {type ExampleGradient, exampleLoraGradients} from './gradients.js'
export {
  type BatchRequest,
  type FinishReason,
  type GenerateOptions,
  type GenerateResult,
  generateBatch,
  generateText,
  generateTokens,
  sampleToken,
} from './generate.js'
export {type LlamaBase, loadLlamaBase, loadLlamaModel} from './load.js'
export {
  DEFAULT_LORA_TARGETS,
  LORA_TARGETS,
  type LoraAdapter,
  type LoraConfig,
  type LoraTarget,
  disposeLora,
  initLora,
  loraFromPeft,
  loraParams,
  loraToPeft,
  parseLoraTarget,
  peftKey,
} from './lora.js'
export {
  type KvCache,
  type LlamaModel,
  type LoraBinding,
  bindLora,
  bindLoraRows,
  buildLlama,
  causalLmLossSum,
  disposeLlama,
  disposeLoraRows,
  forward,
} from './model.js'
export {type ChatMessage, type LmTokenizer, loadLmTokenizer} from './tokenizer.js'
export {
  DEFAULT_HYPERPARAMETERS,
  type LmEpochRecord,
  type LmHyperparameters,
  type LmTrainProgress,
  type LmTrainResult,
  type TrainLoraArgs,
  evaluateLoss,
  latestCheckpoint,
  splitValidation,
  trainLora,
} from './train.js'
export {readLlamaWeights, readSafetensorsF32, weightFiles} from './weights.js'
