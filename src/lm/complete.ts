/**
 * One adapter artifact ready to generate: its base loaded on the chosen device, its LoRA bound, and
 * prompts rendered the way it was trained (the chat template for prompt/response adapters when the
 * base has one, the raw text for causal-LM ones).
 */
import {join} from 'node:path'
import {existsSync, readFileSync} from 'node:fs'

import {type LmTrainingManifest, adapterBaseDir, loadAdapter} from './artifact.js'
import {type LmDevice, type LmDeviceRequest, selectLmDevice} from './device.js'
import {type GenerateOptions, type GenerateResult, generateTokens} from './generate.js'
import {type LlamaBase, loadLlamaBase} from './load.js'
import {type LoraAdapter, disposeLora} from './lora.js'
import {disposeLlama} from './model.js'
import type {ChatMessage} from './tokenizer.js'

export type LoadedLm = {base: LlamaBase; adapter: LoraAdapter; device: LmDevice; chat: boolean; dispose(): void}

/** Whether prompts go through the chat template: as the adapter was trained (default: when there is one). */
export function trainedWithChat(adapterDir: string, base: LlamaBase): boolean {
  const f = join(adapterDir, 'training.json')
  const format = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Partial<LmTrainingManifest>).format : undefined
  return base.tokenizer.hasChatTemplate && format !== 'text'
}

export async function loadLmArtifact(adapterDir: string, options: {device?: LmDeviceRequest; baseDir?: string} = {}): Promise<LoadedLm> {
  const baseDir = adapterBaseDir(adapterDir, options.baseDir)
  const device = await selectLmDevice(options.device ?? 'auto')
  const base = await loadLlamaBase(baseDir)
  const adapter = loadAdapter(adapterDir, base)
  return {
    base,
    adapter,
    device,
    chat: trainedWithChat(adapterDir, base),
    dispose: () => {
      disposeLora(adapter)
      disposeLlama(base.model)
    },
  }
}

/** Token ids of a prompt (or chat messages) as the model expects them. */
export function promptIds(base: LlamaBase, prompt: string | ChatMessage[], chat: boolean): number[] {
  const messages = typeof prompt === 'string' ? [{role: 'user' as const, content: prompt}] : prompt
  const rendered = chat ? base.tokenizer.chatPrompt(messages) : undefined
  const text = rendered ?? (typeof prompt === 'string' ? prompt : messages.map((m) => m.content).join('\n'))
  return base.tokenizer.encode(text)
}

/** The base's end tokens: generation stops at any of them. */
export function endTokenIds(base: LlamaBase): number[] {
  return [...new Set([...(base.tokenizer.eosTokenId !== undefined ? [base.tokenizer.eosTokenId] : []), ...base.model.config.eosTokenIds])]
}

export function complete(lm: LoadedLm, prompt: string, options: Omit<GenerateOptions, 'lora'> = {}): Promise<GenerateResult> {
  return generateTokens(
    lm.base.model,
    promptIds(lm.base, prompt, lm.chat),
    {...options, lora: lm.adapter, stopTokenIds: options.stopTokenIds ?? endTokenIds(lm.base)},
    (t) => lm.base.tokenizer.decode(t),
  )
}
