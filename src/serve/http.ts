/** node:http plumbing: JSON replies and a size-capped body reader. */
import type {IncomingMessage, ServerResponse} from 'node:http'

import {HttpError} from './errors.js'

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(text)})
  res.end(text)
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  // After a 413 the rest of the body is unread garbage on the socket: do not reuse it.
  if (status === 413) res.shouldKeepAlive = false
  sendJson(res, status, {error: {code, message}})
}

/**
 * The whole body as UTF-8; 413 past `maxBytes`. The rest of an oversized body is read and dropped
 * (not kept) so the client gets its 413 rather than a reset; the connection then closes.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let parts: Buffer[] | undefined = []
    let size = 0
    req.on('data', (c: Buffer) => {
      if (!parts) return
      size += c.length
      if (size <= maxBytes) return parts.push(c)
      parts = undefined
      reject(new HttpError(413, 'E_BODY_TOO_LARGE', `request body over ${maxBytes} bytes`))
    })
    // A small body arrives as one chunk: decode it without concatenating.
    req.on('end', () => parts && resolve((parts.length === 1 ? parts[0] : Buffer.concat(parts)).toString('utf8')))
    req.on('error', reject)
  })
}
