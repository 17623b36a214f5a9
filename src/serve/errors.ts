import {OpenledgerError} from '../errors.js'

/** A request the server answers with an HTTP error status and `{"error":{"code","message"}}`. */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** 400: the request names the field at fault. */
export class BadRequestError extends HttpError {
  override name = 'BadRequestError'
  constructor(message: string, code = 'E_BAD_REQUEST') {
    super(400, code, message)
  }
}

/** Work given to a batcher after it was closed (the server is shutting down). */
export class ClosedError extends OpenledgerError {
  override name = 'ClosedError'
  constructor() {
    super('E_CLOSED', 'the server is closing: no new work is taken')
  }
}
