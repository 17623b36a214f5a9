/**
 * OpenAI-compatible text generation: POST /v1/completions and POST /v1/chat/completions, with
 * `model` naming a LoRA adapter (folder, CID or name), `stream: true` as server-sent events ending
 * with `data: [DONE]`, and token usage. Bodies are checked field by field (400 naming the field);
 * fields OpenAI clients send that do not apply here (user, logprobs: false, n: 1…) are accepted.
 */
import {randomBytes} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'

import type {GenerateResult} from '../lm/generate.js'
import type {ChatMessage} from '../lm/tokenizer.js'
import {BadRequestError} from './errors.js'
import {readBody, sendJson} from './http.js'
import type {LmAdapters, LmRequest} from './lm-adapters.js'

export type OpenAiRequest = LmRequest & {stream: boolean}

const ROLES = ['system', 'user', 'assistant']

function parseJsonObject(body: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(body)
  } catch {
    throw new BadRequestError('the body is not valid JSON')
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadRequestError('the body must be a JSON object')
  return v as Record<string, unknown>
}

/** Parses a completions (`chat` false) or chat completions body. */
export function parseOpenAiRequest(body: string, chat: boolean): OpenAiRequest {
  const o = parseJsonObject(body)
  if (typeof o.model !== 'string' || o.model.trim() === '')
    throw new BadRequestError('"model" must name an adapter: a folder, a CID or a registered name')
  let prompt: string | ChatMessage[]
  if (chat) {
    if (!Array.isArray(o.messages) || o.messages.length === 0)
      throw new BadRequestError('"messages" must be a non-empty list of {"role","content"}')
    prompt = o.messages.map((m, i) => {
      const r = m as Record<string, unknown>
      if (!r || typeof r !== 'object' || !ROLES.includes(r.role as string))
        throw new BadRequestError(`"messages[${i}].role" must be system, user or assistant`)
      if (typeof r.content !== 'string') throw new BadRequestError(`"messages[${i}].content" must be a string`)
      return {role: r.role as ChatMessage['role'], content: r.content}
    })
  } else {
    if (typeof o.prompt !== 'string' || o.prompt === '') throw new BadRequestError('"prompt" must be a non-empty string')
    prompt = o.prompt
  }
  const maxTokens = o.max_completion_tokens ?? o.max_tokens ?? 128
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
    throw new BadRequestError(
      `"${o.max_completion_tokens === undefined ? 'max_tokens' : 'max_completion_tokens'}" must be a positive integer`,
    )
  const temperature = o.temperature ?? 1
  if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2))
    throw new BadRequestError('"temperature" must be a number from 0 to 2')
  const topP = o.top_p ?? 1
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) throw new BadRequestError('"top_p" must be a number in (0, 1]')
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new BadRequestError('"seed" must be an integer')
  const stop = o.stop === undefined || o.stop === null ? [] : typeof o.stop === 'string' ? [o.stop] : o.stop
  if (!Array.isArray(stop) || stop.length > 4 || !stop.every((s) => typeof s === 'string' && s !== ''))
    throw new BadRequestError('"stop" must be a string or a list of up to 4 non-empty strings')
  if (o.n !== undefined && o.n !== 1) throw new BadRequestError('"n" must be 1 (one choice per request)')
  if (o.stream !== undefined && typeof o.stream !== 'boolean') throw new BadRequestError('"stream" must be true or false')
  return {
    model: o.model,
    prompt,
    stream: o.stream === true,
    options: {maxTokens: maxTokens as number, temperature, topP, seed: o.seed as number | undefined, stop: stop as string[]},
  }
}

const usageOf = (r: GenerateResult) => ({
  prompt_tokens: r.usage.promptTokens,
  completion_tokens: r.usage.completionTokens,
  total_tokens: r.usage.totalTokens,
})

/** The handler for one of the two routes. */
export function openAiHandler(chat: boolean) {
  return async (lm: LmAdapters, req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): Promise<void> => {
    const body = parseOpenAiRequest(await readBody(req, maxBodyBytes), chat)
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`
    const created = Math.floor(Date.now() / 1000)
    const object = chat ? 'chat.completion' : 'text_completion'
    if (!body.stream) {
      const r = await lm.generate(body)
      const choice = chat
        ? {index: 0, message: {role: 'assistant', content: r.text}, finish_reason: r.finishReason, logprobs: null}
        : {index: 0, text: r.text, finish_reason: r.finishReason, logprobs: null}
      return sendJson(res, 200, {id, object, created, model: body.model, choices: [choice], usage: usageOf(r)})
    }
    // Server-sent events: headers go out once the adapter is known to load (errors before that
    // are plain JSON); each text delta is one event; the last carries finish_reason and usage.
    const chunkObject = chat ? 'chat.completion.chunk' : 'text_completion'
    const send = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({id, object: chunkObject, created, model: body.model, choices: [choice], ...extra})}\n\n`)
    const open = () => {
      if (res.headersSent) return
      res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive'})
      if (chat) send({index: 0, delta: {role: 'assistant', content: ''}, finish_reason: null})
    }
    const r = await lm.generate({
      ...body,
      options: {
        ...body.options,
        onText: (d) => {
          open()
          send(chat ? {index: 0, delta: {content: d}, finish_reason: null} : {index: 0, text: d, finish_reason: null})
        },
      },
    })
    open()
    send(chat ? {index: 0, delta: {}, finish_reason: r.finishReason} : {index: 0, text: '', finish_reason: r.finishReason}, {
      usage: usageOf(r),
    })
    res.end('data: [DONE]\n\n')
  }
}
