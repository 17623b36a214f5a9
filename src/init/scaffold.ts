import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'

import {UsageError} from '../errors.js'
import {templateDir, templateFiles, toolVersion} from './templates.js'

export const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** A project name from a folder name: lower case, anything else than letters, digits, . _ - becomes -. */
export function defaultProjectName(dir: string): string {
  const base = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
  return base || 'openledger-app'
}

/** `label` names the value in the message: the command passes its flag (`--name`). */
export function checkProjectName(name: string, label = 'project name'): string {
  if (!PROJECT_NAME.test(name))
    throw new UsageError(`${label} "${name}": use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`)
  return name
}

/** Where a template file lands in the project: `_gitignore` becomes `.gitignore` (npm drops .gitignore files from packages). */
export function targetPath(file: string): string {
  return file.replace(/(^|\/)_gitignore$/, '$1.gitignore')
}

export type PlannedFile = {path: string; data: Buffer}

/** The project's files, rendered: its name in the config, package.json and README. */
export function planScaffold(template: string, name: string): PlannedFile[] {
  const root = templateDir(template)
  return templateFiles(template).map((file) => {
    let data = readFileSync(join(root, file))
    const path = targetPath(file)
    if (path === 'openledger.config.json' || path === 'package.json') {
      const json = JSON.parse(data.toString('utf8')) as Record<string, unknown>
      json.name = name
      const deps = json.devDependencies as Record<string, string> | undefined
      if (path === 'package.json' && deps?.openledger) deps.openledger = `^${toolVersion()}`
      data = Buffer.from(JSON.stringify(json, null, 2) + '\n')
    } else if (path.endsWith('.md')) {
      data = Buffer.from(data.toString('utf8').replaceAll('{{name}}', name).replaceAll('{{template}}', template))
    }
    return {path, data}
  })
}

export type ScaffoldParameters = {dir: string; template: string; name?: string; force?: boolean}
export type ScaffoldResult = {dir: string; template: string; name: string; files: string[]}

/** Whether `dir` is missing or an empty folder; a file there is an error. */
export function folderState(dir: string): 'missing' | 'empty' | 'non-empty' {
  if (!existsSync(dir)) return 'missing'
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is a file, not a folder`)
  return readdirSync(dir).length === 0 ? 'empty' : 'non-empty'
}

/**
 * Writes a template into `dir`. Every file is rendered into a staging folder beside `dir` first and
 * moved into place only once all are written: a new or empty folder appears whole (one rename); with
 * `force` over a non-empty one, each file is replaced by a rename and nothing else there is touched.
 */
export function scaffoldProject(p: ScaffoldParameters): ScaffoldResult {
  const dir = resolve(p.dir)
  const name = checkProjectName(p.name ?? defaultProjectName(dir))
  const state = folderState(dir)
  if (state === 'non-empty' && !p.force) {
    // The command checks first and names its flag; this guards programmatic callers.
    throw new UsageError(`${p.dir} is not empty: choose another folder, or set force to write the template's files into it`)
  }
  const files = planScaffold(p.template, name)
  mkdirSync(dirname(dir), {recursive: true})
  const stage = join(dirname(dir), `.${basename(dir)}.init-${randomBytes(4).toString('hex')}`)
  try {
    for (const f of files) {
      const target = join(stage, f.path)
      mkdirSync(dirname(target), {recursive: true})
      writeFileSync(target, f.data)
    }
    if (state === 'non-empty') {
      for (const f of files) {
        const target = join(dir, f.path)
        if (existsSync(target) && statSync(target).isDirectory())
          throw new UsageError(`${join(p.dir, f.path)} is a folder: the template has a file there`)
      }
      for (const f of files) {
        const target = join(dir, f.path)
        mkdirSync(dirname(target), {recursive: true})
        renameSync(join(stage, f.path), target)
      }
    } else {
      if (state === 'empty') rmdirSync(dir)
      renameSync(stage, dir)
    }
  } finally {
    rmSync(stage, {recursive: true, force: true})
  }
  return {dir, template: p.template, name, files: files.map((f) => f.path)}
}
