import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {UsageError} from '../errors.js'
import {walkFiles} from '../store/walk.js'

const packageRoot = () => join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The templates shipped with the package (`templates/<name>/`), or OPENLEDGER_TEMPLATES_DIR. */
export function templatesDir(): string {
  return process.env.OPENLEDGER_TEMPLATES_DIR ?? join(packageRoot(), 'templates')
}

/** This package's version, for the scaffolded package.json. */
export function toolVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version
}

/** `templates/<name>/template.json`: what `init --list` shows; never copied. */
export const TEMPLATE_META = 'template.json'

export type TemplateInfo = {name: string; description: string}

type Meta = {description?: string; order?: number}

function readMeta(dir: string): Meta {
  try {
    return JSON.parse(readFileSync(join(dir, TEMPLATE_META), 'utf8')) as Meta
  } catch {
    return {}
  }
}

/** Every template, in their `order` (then by name). */
export function listTemplates(): TemplateInfo[] {
  const root = templatesDir()
  if (!existsSync(root)) return []
  return readdirSync(root, {withFileTypes: true})
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'openledger.config.json')))
    .map((e) => ({name: e.name, meta: readMeta(join(root, e.name))}))
    .sort((a, b) => (a.meta.order ?? 1e9) - (b.meta.order ?? 1e9) || (a.name < b.name ? -1 : 1))
    .map((t) => ({name: t.name, description: t.meta.description ?? ''}))
}

export function templateDir(name: string): string {
  const known = listTemplates().map((t) => t.name)
  if (!known.includes(name)) {
    throw new UsageError(`no template named "${name}" (known: ${known.join(', ')})`)
  }
  return join(templatesDir(), name)
}

/** A template's files, relative with forward slashes, sorted; template.json left out. */
export function templateFiles(name: string): string[] {
  const root = templateDir(name)
  return walkFiles(root).filter((f) => f !== TEMPLATE_META)
}
