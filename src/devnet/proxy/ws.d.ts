/**
 * The part of `ws` (the WebSocket library viem itself depends on) that the L2 proxy uses. Declared
 * here because @types/ws is not installed; remove this file when it is.
 */
declare module 'ws' {
  import type {EventEmitter} from 'node:events'
  import type {IncomingMessage} from 'node:http'
  import type {Duplex} from 'node:stream'

  type RawData = Buffer | ArrayBuffer | Buffer[]

  export class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0
    static readonly OPEN: 1
    static readonly CLOSING: 2
    static readonly CLOSED: 3
    constructor(address: string, options?: {perMessageDeflate?: boolean})
    readonly readyState: 0 | 1 | 2 | 3
    send(data: string | Buffer | RawData, options?: {binary?: boolean}, cb?: (err?: Error) => void): void
    close(code?: number, reason?: string): void
    terminate(): void
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this
    on(event: 'open', listener: () => void): this
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this
    on(event: 'error', listener: (err: Error) => void): this
    once(event: 'open', listener: () => void): this
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this
    once(event: 'error', listener: (err: Error) => void): this
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: {noServer: true; perMessageDeflate?: boolean})
    readonly clients: Set<WebSocket>
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (client: WebSocket) => void): void
    close(cb?: (err?: Error) => void): void
  }
}
