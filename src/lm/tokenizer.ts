/**
 * The base model's tokenizer (`tokenizer.json`, `tokenizer_config.json`), loaded with transformers.js
 * from the local folder only: no hub access, whatever the environment says.
 */
import {existsSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {loadTransformers} from '../model/backend.js'
import {LmModelError} from './errors.js'

export type ChatMessage = {role: 'system' | 'user' | 'assistant'; content: string}

export type LmTokenizer = {
  encode(text: string, options?: {addSpecialTokens?: boolean}): number[]
  decode(ids: number[], options?: {skipSpecialTokens?: boolean}): string
  /** The prompt text for `messages` (ending with the assistant turn's opening), or undefined without a template. */
  chatPrompt(messages: ChatMessage[]): string | undefined
  hasChatTemplate: boolean
  bosTokenId?: number
  eosTokenId?: number
  padTokenId?: number
}

export async function loadLmTokenizer(dir: string): Promise<LmTokenizer> {
  const path = resolve(dir)
  const file = join(path, 'tokenizer.json')
  if (!existsSync(file)) throw new LmModelError(`${file} is missing: the base model folder needs its tokenizer`)
  const t = await loadTransformers({allowRemote: false})
  let tok: Awaited<ReturnType<typeof t.AutoTokenizer.from_pretrained>>
  try {
    tok = await t.AutoTokenizer.from_pretrained(path, {local_files_only: true})
  } catch (err) {
    throw new LmModelError(
      `${file}: transformers.js cannot load it (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`,
      {cause: err},
    )
  }
  const hasChatTemplate = Boolean(tok.chat_template)
  const id = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : undefined)
  return {
    encode: (text, options = {}) => tok.encode(text, {add_special_tokens: options.addSpecialTokens ?? true}),
    decode: (ids, options = {}) => tok.decode(ids, {skip_special_tokens: options.skipSpecialTokens ?? true}),
    chatPrompt: (messages) =>
      hasChatTemplate ? (tok.apply_chat_template(messages, {tokenize: false, add_generation_prompt: true}) as string) : undefined,
    hasChatTemplate,
    bosTokenId: id(tok.bos_token_id),
    eosTokenId: id(tok.eos_token_id),
    padTokenId: id(tok.pad_token_id),
  }
}
