import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {chainFlags, chainSelection, openAmountFlag} from '../cli/flags.js'
import {UsageError} from '../errors.js'
import {DEVICES, type DeviceRequest} from '../model/backend.js'
import {createInferenceServer} from '../serve/server.js'

export type ServeResult = {url: string; requests: number; stopped: true}

export default class Serve extends BaseCommand<ServeResult> {
  static override description =
    `Serve models over HTTP: one shared encoder, adapters and heads loaded per model on first use (LRU), concurrent requests batched through the encoder.

GET /health → {"ok","loaded","requests"}. POST /v1/infer {"model":"<cid|name|folder>","text":"…","attribute":true|false,"pay":true|false}
→ the same JSON as \`infer --json\`. A malformed body or an unknown model: 400 {"error":{"code","message"}}.
"pay": true needs the payer's signed EIP-712 authorization in the x-payment header, else 402 with a quote (body and x-payment-required header) and nothing settled;
the payer's credit pays (\`credit deposit\`), this account (a staked agent) sends the settlement and pays only gas (docs/payable.md).
OpenAI-compatible generation with language-model adapters: POST /v1/completions {"model","prompt",…} and POST /v1/chat/completions {"model","messages",…}
("model": an adapter folder, CID or name; max_tokens, temperature, top_p, seed, stop; "stream": true for server-sent events ending with data: [DONE]).
One base in memory; adapters load on first use (LRU, --max-adapters); concurrent requests for different adapters share each forward pass.
Stops gracefully on SIGTERM or SIGINT (requests in flight finish); --json then prints schemas/commands/serve.schema.json.`
  static override examples = [
    '<%= config.bin %> serve --port 8080',
    '<%= config.bin %> serve --models bafybei…,support-router --max-models 16',
  ]
  static override flags = {
    ...chainFlags,
    port: Flags.integer({description: 'Port to listen on (0: any free port).', default: 8080, min: 0, max: 65535}),
    host: Flags.string({description: 'Address to listen on.', default: '127.0.0.1'}),
    models: Flags.string({description: 'Models to load at start: CIDs, names or folders, comma-separated.'}),
    'max-models': Flags.integer({description: 'Models kept loaded at once (least recently used evicted).', default: 32, min: 1}),
    'batch-window': Flags.integer({
      description: 'Milliseconds a batch waits for more requests (0: batch what arrives in one event-loop turn).',
      default: 0,
      min: 0,
    }),
    'max-batch': Flags.integer({
      description: "Largest batch through the encoder, and through one model's attribution.",
      default: 64,
      min: 1,
    }),
    fee: openAmountFlag({description: 'Fee in OPEN per request with "pay": true (default 0.01).'}),
    device: Flags.string({
      description: 'Execution device for the encoder (and the language-model base: auto, cpu or webgpu).',
      options: [...DEVICES],
      env: 'OPENLEDGER_DEVICE',
    }),
    'max-adapters': Flags.integer({
      description: 'Language-model adapters kept loaded at once (least recently used evicted).',
      default: 16,
      min: 1,
    }),
  }

  async run(): Promise<ServeResult> {
    const {flags} = await this.parse(Serve)
    const srv = createInferenceServer({
      maxModels: flags['max-models'],
      batchWindowMs: flags['batch-window'],
      maxBatch: flags['max-batch'],
      device: flags.device as DeviceRequest | undefined,
      chain: chainSelection(flags),
      fee: flags.fee,
      maxAdapters: flags['max-adapters'],
      lmDevice: flags.device === 'cpu' || flags.device === 'webgpu' ? flags.device : 'auto',
    })
    if (flags.models)
      await srv.preload(
        flags.models
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
    const {url} = await srv.listen(flags.port, flags.host).catch(async (err: NodeJS.ErrnoException) => {
      await srv.close()
      if (err.code === 'EADDRINUSE') throw new UsageError(`port ${flags.port} is already in use (--port)`)
      if (err.code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${flags.host} is not an address of this machine`)
      throw err
    })
    this.note(`Serving on ${url} (POST /v1/infer, /v1/completions, /v1/chat/completions, GET /health); Ctrl-C stops`)
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop)
        process.off('SIGINT', stop)
        resolve()
      }
      process.on('SIGTERM', stop)
      process.on('SIGINT', stop)
    })
    await srv.close()
    return {url, requests: srv.stats().requests, stopped: true}
  }
}
