/** node:http plumbing: JSON replies and a size-capped body reader. */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {HttpError} from './errors.js'

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, {error: {code, message}})
}

/** The whole body as UTF-8; 413 past `maxBytes` (and the connection dropped: the rest is not read). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > maxBytes) {
        reject(new HttpError(413, 'E_BODY_TOO_LARGE', `request body over ${maxBytes} bytes`))
        req.destroy()
      } else parts.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}
