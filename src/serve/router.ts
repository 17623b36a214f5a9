/** Which handler a request goes to: method and path in, a handler or an HTTP error out. */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {infer, health, type ServeContext} from './handlers.js'
import {HttpError} from './errors.js'
import {readBody, sendJson} from './http.js'
import {parseInferRequest} from './request.js'
import {openAiHandler} from './openai.js'
import {PAYMENT_HEADER, PAYMENT_RESPONSE_HEADER} from '../protocol/authorization.js'
import {PaymentRequiredError, paymentResponseHeader, sendPaymentRequired} from './payment.js'

export type RouteHandler = (ctx: ServeContext, req: IncomingMessage, res: ServerResponse) => Promise<void>

const completions = openAiHandler(false)
const chatCompletions = openAiHandler(true)

const routes: Record<string, Record<string, RouteHandler>> = {
  '/health': {
    GET: async (ctx, _req, res) => {
      const h = health(ctx)
      sendJson(res, h.status, h.body)
    },
  },
  '/v1/infer': {
    POST: async (ctx, req, res) => {
      ctx.requests++
      const body = parseInferRequest(await readBody(req, ctx.maxBodyBytes))
      let answer: Awaited<ReturnType<typeof infer>>
      try {
        answer = await infer(ctx, body, body.pay ? req.headers[PAYMENT_HEADER] : undefined)
      } catch (err) {
        if (err instanceof PaymentRequiredError) return sendPaymentRequired(res, err)
        throw err
      }
      const r = answer.prediction.receipt
      if (r?.receiptId) res.setHeader(PAYMENT_RESPONSE_HEADER, paymentResponseHeader(r))
      sendJson(res, 200, answer)
    },
  },
  '/v1/completions': {
    POST: async (ctx, req, res) => {
      ctx.requests++
      await completions(ctx.lm, req, res, ctx.maxBodyBytes)
    },
  },
  '/v1/chat/completions': {
    POST: async (ctx, req, res) => {
      ctx.requests++
      await chatCompletions(ctx.lm, req, res, ctx.maxBodyBytes)
    },
  },
}

/** The handler for a request; throws 404 for an unknown path and 405 for a method it lacks. */
export function route(method: string | undefined, pathname: string): RouteHandler {
  const byMethod = routes[pathname]
  if (!byMethod) throw new HttpError(404, 'E_NOT_FOUND', `no route ${method} ${pathname}`)
  const h = byMethod[method ?? '']
  if (!h) throw new HttpError(405, 'E_METHOD', `use ${Object.keys(byMethod).join(' or ')} for ${pathname}`)
  return h
}
