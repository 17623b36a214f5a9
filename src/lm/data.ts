/**
 * Training records → token ids and a loss mask. A `text` record is causal LM on the whole record; a
 * `prompt`/`response` record puts the loss on the response (and the end token) only, with the
 * base's chat template around the prompt when it has one.
 */
import {LmTrainingError} from './errors.js'
import type {LmTokenizer} from './tokenizer.js'

export type LmRecord = {text: string} | {prompt: string; response: string}

/** One training example: ids and, per position, 1 when that token's prediction counts in the loss. */
export type LmExample = {ids: number[]; lossMask: number[]}

/**
 * The prompt as the model sees it: the chat template's rendering when `chat` (the adapter was trained
 * on prompt/response records) and the base has one, the raw text otherwise.
 */
export function promptText(tokenizer: LmTokenizer, prompt: string, chat = true): string {
  return (chat ? tokenizer.chatPrompt([{role: 'user', content: prompt}]) : undefined) ?? prompt
}

/** What a record contributes to span tracing: the text the model learned to produce, after its prompt. */
export function recordSpanText(r: LmRecord): string {
  return 'text' in r ? r.text : `${r.prompt}\n${r.response}`
}

export function tokenizeRecord(tokenizer: LmTokenizer, record: LmRecord, cutoffLen: number, where = 'record'): LmExample {
  const eos = tokenizer.eosTokenId !== undefined ? [tokenizer.eosTokenId] : []
  let ids: number[]
  let lossMask: number[]
  if ('text' in record && typeof record.text === 'string') {
    ids = [...tokenizer.encode(record.text), ...eos]
    lossMask = ids.map((_, i) => (i === 0 ? 0 : 1))
  } else if ('prompt' in record && typeof record.prompt === 'string' && typeof record.response === 'string') {
    const p = tokenizer.encode(promptText(tokenizer, record.prompt))
    const r = [...tokenizer.encode(record.response, {addSpecialTokens: false}), ...eos]
    ids = [...p, ...r]
    lossMask = [...p.map(() => 0), ...r.map(() => 1)]
  } else {
    throw new LmTrainingError(`${where}: needs a string "text" field, or string "prompt" and "response" fields`)
  }
  if (ids.length > cutoffLen) {
    ids = ids.slice(0, cutoffLen)
    lossMask = lossMask.slice(0, cutoffLen)
  }
  return {ids, lossMask}
}

/** Tokenizes every record; records left with no token to learn from are an error naming them. */
export function tokenizeRecords(tokenizer: LmTokenizer, records: LmRecord[], cutoffLen: number): LmExample[] {
  return records.map((r, i) => {
    const ex = tokenizeRecord(tokenizer, r, cutoffLen, `record ${i}`)
    if (!ex.lossMask.slice(1).some((m) => m === 1))
      throw new LmTrainingError(`record ${i}: no response token is left within cutoff_len ${cutoffLen} (the prompt fills it)`)
    return ex
  })
}
