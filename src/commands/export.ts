import {Flags} from '@oclif/core'
import {join, resolve} from 'node:path'

import {BaseCommand} from '../cli/base-command.js'
import {UsageError} from '../errors.js'
import {adapterBaseDir, isLmArtifact} from '../lm/artifact.js'
import {type GgufExport, exportBaseGguf, exportLoraGguf} from '../lm/gguf.js'
import {resolveModel} from '../publish/resolve.js'

export type ExportResult = {format: 'gguf'; base: GgufExport; adapter: GgufExport}

export default class Export extends BaseCommand<ExportResult> {
  static override description =
    `Export a language-model adapter for production engines: the base and the LoRA adapter as GGUF files that llama.cpp loads (llama-cli -m base.gguf --lora adapter.gguf).

--json: {"format":"gguf","base":{"path","tensors","bytes"},"adapter":{"path","tensors","bytes"}}; the shape is schemas/commands/export.schema.json.`
  static override examples = [
    '<%= config.bin %> export --format gguf --model .openledger/models/capitals-v1-1a2b3c4d',
    '<%= config.bin %> export --format gguf --model ./adapter --out gguf/ --dtype f32 --json',
  ]
  static override flags = {
    format: Flags.string({description: 'Output format.', options: ['gguf'], default: 'gguf'}),
    model: Flags.string({description: 'Adapter: a folder, a CID in the local store, or a registered name.', required: true}),
    out: Flags.string({description: 'Folder for base.gguf and adapter.gguf (default: <adapter folder>/gguf).'}),
    dtype: Flags.string({description: 'Weight type of the base (the adapter follows).', options: ['f16', 'f32'], default: 'f16'}),
    base: Flags.string({description: "Base model folder, when the adapter's base is not where it was trained."}),
  }

  async run(): Promise<ExportResult> {
    const {flags} = await this.parse(Export)
    const resolved = await resolveModel(flags.model)
    if (!isLmArtifact(resolved.path))
      throw new UsageError(`--model ${flags.model} is not a language-model adapter (no adapter_config.json): only adapters export to GGUF`)
    const baseDir = adapterBaseDir(resolved.path, flags.base)
    const out = resolve(flags.out ?? join(resolved.path, 'gguf'))
    const dtype = flags.dtype as 'f16' | 'f32'
    const base = exportBaseGguf(baseDir, join(out, 'base.gguf'), {dtype})
    const adapter = exportLoraGguf(resolved.path, baseDir, join(out, 'adapter.gguf'), {dtype})
    this.log(`Base: ${base.path} (${base.tensors} tensors, ${(base.bytes / 1e6).toFixed(1)} MB)`)
    this.log(`Adapter: ${adapter.path} (${adapter.tensors} tensors, ${(adapter.bytes / 1e6).toFixed(2)} MB)`)
    return {format: 'gguf', base, adapter}
  }
}
