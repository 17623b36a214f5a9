/** POST /v1/infer bodies: parsed and checked field by field; each 400 names the field at fault. */
import {BadRequestError} from './errors.js'

export type InferRequest = {
  /** A CID, a registered name or a folder. */
  model: string
  text: string
  attribute: boolean
  pay: boolean
  topK?: number
}

const FIELDS = ['model', 'text', 'attribute', 'pay', 'topK']

export function parseInferRequest(body: string): InferRequest {
  let v: unknown
  try {
    v = JSON.parse(body)
  } catch {
    throw new BadRequestError('the body is not valid JSON')
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new BadRequestError('the body must be a JSON object {"model","text","attribute","pay","topK"}')
  const o = v as Record<string, unknown>
  const unknown = Object.keys(o).find((k) => !FIELDS.includes(k))
  if (unknown !== undefined)
    throw new BadRequestError(`"${unknown}" is not a field of /v1/infer (expected ${FIELDS.map((f) => `"${f}"`).join(', ')})`)
  if (typeof o.model !== 'string' || o.model.trim() === '')
    throw new BadRequestError('"model" must be a CID, a registered name or a folder')
  if (typeof o.text !== 'string' || o.text.trim() === '') throw new BadRequestError('"text" must be a non-empty string')
  for (const k of ['attribute', 'pay'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new BadRequestError(`"${k}" must be true or false`)
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && (o.topK as number) >= 1))
    throw new BadRequestError('"topK" must be a positive integer')
  return {
    model: o.model,
    text: o.text,
    attribute: o.attribute === true,
    pay: o.pay === true,
    ...(o.topK !== undefined ? {topK: o.topK as number} : {}),
  }
}
