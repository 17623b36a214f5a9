/**
 * Language models behind the OpenAI-compatible routes: one base in memory, LoRA adapters loaded on
 * first use (by folder, CID or name) and evicted least recently used (`model` naming the base's own
 * folder answers with the base alone), and every generation going
 * through one micro-batcher, so concurrent requests for different adapters share each forward pass
 * (generateBatch applies each row's LoRA to that row, never merged into the base).
 */
import {existsSync} from 'node:fs'
import {join, resolve as resolvePath} from 'node:path'

import {isLmArtifact} from '../lm/artifact-files.js'
import type {LmDeviceRequest} from '../lm/device.js'
import type {GenerateOptions, GenerateResult} from '../lm/generate.js'
import type {LlamaBase} from '../lm/load.js'
import type {LoraAdapter} from '../lm/lora.js'
import type {ChatMessage} from '../lm/tokenizer.js'
import {resolveModel} from '../publish/resolve.js'
import {MicroBatcher} from './batcher.js'
import {BadRequestError} from './errors.js'

export type LmAdaptersOptions = {stateDir?: string; device?: LmDeviceRequest; maxAdapters: number; maxBatch: number; batchWindowMs: number}

// TensorFlow.js loads with the first generation request, not with the server.
type Engine = typeof import('./lm-engine.js')
let enginePromise: Promise<Engine> | undefined
const engine = () => (enginePromise ??= import('./lm-engine.js'))

/** A loaded adapter, or (adapter undefined) the base itself, named by its folder. */
type Entry = {path: string; adapter: LoraAdapter | undefined; chat: boolean; inUse: number; lastUsed: number}
type Job = {promptIds: number[]; lora: LoraAdapter | undefined; options: Omit<GenerateOptions, 'useCache' | 'lora'>}

/** A base model folder (Llama config, weights, tokenizer) rather than an adapter. */
const isBaseFolder = (dir: string) => ['config.json', 'model.safetensors', 'tokenizer.json'].every((f) => existsSync(join(dir, f)))

export type LmRequest = {
  model: string
  prompt: string | ChatMessage[]
  options: Omit<GenerateOptions, 'useCache' | 'lora' | 'stopTokenIds'>
}

export class LmAdapters {
  private base: Promise<LlamaBase> | undefined
  private readonly entries = new Map<string, Promise<Entry>>()
  private readonly loaded = new Map<string, Entry>()
  private tick = 0
  evictions = 0
  readonly batcher: MicroBatcher<Job, GenerateResult>

  constructor(private readonly options: LmAdaptersOptions) {
    this.batcher = new MicroBatcher(
      async (jobs) => {
        const base = await this.base!
        const {generateBatch} = await engine()
        return generateBatch(
          base.model,
          jobs.map((j) => ({promptIds: j.promptIds, lora: j.lora, options: j.options})),
          (t) => base.tokenizer.decode(t),
        )
      },
      {maxSize: options.maxBatch, maxWaitMs: options.batchWindowMs},
    )
  }

  get size(): number {
    return this.entries.size
  }

  /** Generates for one request, batched with whatever else is waiting. */
  async generate(req: LmRequest): Promise<GenerateResult & {model: string}> {
    const entry = await this.acquire(req.model)
    try {
      const base = await this.base!
      const {endTokenIds, promptIds} = await engine()
      const ids = promptIds(base, req.prompt, typeof req.prompt !== 'string' && entry.chat)
      const result = await this.batcher.add({
        promptIds: ids,
        lora: entry.adapter,
        options: {...req.options, stopTokenIds: endTokenIds(base)},
      })
      return {...result, model: req.model}
    } finally {
      entry.inUse--
      this.evict()
    }
  }

  async close(): Promise<void> {
    await this.batcher.close()
    await Promise.allSettled(this.entries.values())
    if (!this.loaded.size && !this.base) return
    const {disposeLlama, disposeLora} = await engine()
    for (const e of this.loaded.values()) if (e.adapter) disposeLora(e.adapter)
    this.entries.clear()
    this.loaded.clear()
    if (this.base) disposeLlama((await this.base).model)
  }

  private async acquire(ref: string): Promise<Entry> {
    const resolved = await resolveModel(ref, {stateDir: this.options.stateDir, chain: false}).catch(() => {
      throw new BadRequestError(
        `"model": ${JSON.stringify(ref)} is not an adapter folder, a CID in the local store or a model name known here`,
        'E_MODEL_NOT_FOUND',
      )
    })
    const path = resolvePath(resolved.path)
    const base = !isLmArtifact(path) && isBaseFolder(path)
    if (!base && !isLmArtifact(path))
      throw new BadRequestError(`"model": ${JSON.stringify(ref)} is not a language-model adapter (no adapter_config.json)`)
    let pending = this.entries.get(path)
    if (!pending) {
      pending = base ? this.loadBaseEntry(path) : this.load(path)
      this.entries.set(path, pending)
      pending.catch(() => this.entries.delete(path))
    }
    const entry = await pending
    entry.inUse++
    entry.lastUsed = ++this.tick
    return entry
  }

  /** The server's one base, loaded on first use from `dir` (every adapter runs on it). */
  private async sharedBase(dir: string): Promise<LlamaBase> {
    const {loadLlamaBase, selectLmDevice} = await engine()
    if (!this.base) {
      this.base = selectLmDevice(this.options.device ?? 'auto').then(() => loadLlamaBase(dir))
      this.base.catch(() => (this.base = undefined))
    }
    return this.base
  }

  /**
   * The base alone, when `model` names the base folder itself: answered without an adapter (one
   * entry per server, as for adapters; never evicted, it is what every adapter runs on).
   */
  private async loadBaseEntry(path: string): Promise<Entry> {
    const base = await this.sharedBase(path)
    if (resolvePath(base.dir) !== path)
      throw new BadRequestError(`"model": ${path} is a base model, but this server holds the base ${base.dir}`)
    return {path, adapter: undefined, chat: base.tokenizer.hasChatTemplate, inUse: 0, lastUsed: ++this.tick}
  }

  private async load(path: string): Promise<Entry> {
    const {adapterBaseDir, loadAdapter, trainedWithChat} = await engine()
    const baseDir = adapterBaseDir(path)
    const base = await this.sharedBase(baseDir)
    // One base per server: an adapter trained on another one would need a second copy in memory.
    if (resolvePath(base.dir) !== resolvePath(baseDir))
      throw new BadRequestError(`"model": ${path} was trained on ${baseDir}, but this server holds the base ${base.dir}`)
    const entry = {path, adapter: loadAdapter(path, base), chat: trainedWithChat(path, base), inUse: 0, lastUsed: ++this.tick}
    this.loaded.set(path, entry)
    return entry
  }

  /** Drops the least recently used adapters beyond the limit; never one a request still holds. */
  private evict(): void {
    while (this.loaded.size > this.options.maxAdapters) {
      let victim: Entry | undefined
      for (const e of this.loaded.values()) if (e.inUse === 0 && (!victim || e.lastUsed < victim.lastUsed)) victim = e
      if (!victim) return
      this.loaded.delete(victim.path)
      this.entries.delete(victim.path)
      // Loaded adapters imply a loaded engine: the import resolves at once.
      const adapter = victim.adapter
      if (adapter) void engine().then((e) => e.disposeLora(adapter))
      this.evictions++
    }
  }
}
