// The CLI as an esbuild bundle in dist/app/, so a command starts by reading a handful of files
// instead of resolving ~200 modules one by one (npm run bench -- cli):
//
// - dist/app/oclif.cjs: oclif and its dependencies (and `openledger help`, from @oclif/plugin-help)
//   as one CommonJS file, loaded through V8's code cache (src/cli/code-cache.ts). Our code imports
//   '@oclif/core' as usual and gets this copy.
// - Our code as ES modules: one entry per command (dist/app/commands/<topic>/<name>.js, where oclif's
//   manifest points), one for bin/run.js (dist/app/main.js: oclif's execute), one per hook, shared
//   code in dist/app/chunks/. A command loads only its own graph, as with plain tsc output; every
//   dynamic import() in src/ stays a separate chunk, loaded only when that code runs.
// - Every other package is left external: Node loads it from node_modules as before, when (and only
//   when) it is reached.
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join, relative, sep} from 'node:path'

import * as esbuild from 'esbuild'

/** Never bundled, even where oclif names them: its TypeScript support, for development only. */
const NEVER = ['typescript', 'ts-node', 'tsx', 'pnpapi']
const OCLIF_FILE = 'app/oclif.cjs'

const posix = (path) => path.split(sep).join('/')

/** One entry per file under src/commands and src/hooks, at the same relative path under dist/app/, and the devnet supervisor. */
function entryPoints(root) {
  const src = join(root, 'src')
  const under = (folder) =>
    readdirSync(join(src, folder), {recursive: true})
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => ({in: join(src, folder, f), out: posix(join(folder, f.replace(/\.tsx?$/, '')))}))
  // `openledger autocomplete`, from @oclif/plugin-autocomplete's own modules compiled against the
  // bundled oclif: as a plugin, oclif would find and read it on every start of every command.
  const autocomplete = join(dirname(createRequire(import.meta.url).resolve('@oclif/plugin-autocomplete')), 'commands', 'autocomplete')
  return [
    {in: 'openledger-entry:main', out: 'main'},
    {in: 'openledger-entry:help', out: 'commands/help'},
    ...['index', 'create', 'script'].map((name) => ({in: join(autocomplete, `${name}.js`), out: `commands/autocomplete/${name}`})),
    ...under('commands'),
    ...under('hooks'),
    // The detached devnet supervisor (src/devnet/detach.ts spawns it): its start is part of every
    // `devnet start --detach`.
    {in: join(src, 'devnet', 'supervisor-main.ts'), out: 'devnet/supervisor-main'},
  ]
}

/**
 * The modules that exist only in the bundle: the two entries, and '@oclif/core' as our code sees it
 * (oclif.cjs's exports, loaded once through the code cache).
 */
function virtualModulesPlugin(root, oclifExports) {
  const modules = {
    main: `export {execute} from '@oclif/core'`,
    // `openledger help`, built against the bundled oclif rather than loaded as a plugin with its own.
    help: `export {HelpCommand as default} from '@oclif/core'`,
    oclif: [
      `import {requireWithCodeCache} from ${JSON.stringify(join(root, 'src', 'cli', 'code-cache.ts'))}`,
      `const oclif = requireWithCodeCache(__openledgerDistUrl(${JSON.stringify(OCLIF_FILE)}), (specifier) => import(specifier))`,
      `export const {${oclifExports.join(', ')}} = oclif`,
    ].join('\n'),
  }
  return {
    name: 'openledger-virtual-modules',
    setup(build) {
      build.onResolve({filter: /^openledger-entry:/}, (args) => ({
        path: args.path.slice('openledger-entry:'.length),
        namespace: 'openledger',
      }))
      build.onResolve({filter: /^@oclif\/core$/}, () => ({path: 'oclif', namespace: 'openledger'}))
      build.onLoad({filter: /.*/, namespace: 'openledger'}, (args) => ({contents: modules[args.path], resolveDir: root, loader: 'js'}))
    },
  }
}

/**
 * Every source file's `import.meta.url` (and .filename, .dirname) becomes its own file in dist/ (as tsc writes it), so code
 * that finds the package's files (assets/, schemas/, templates/, the devnet supervisor script) by a
 * path relative to itself finds the same files from the bundle.
 */
function sourceUrlsPlugin(root) {
  const src = join(root, 'src') + sep
  return {
    name: 'openledger-source-urls',
    setup(build) {
      build.onLoad({filter: /\.tsx?$/}, async (args) => {
        if (!args.path.startsWith(src)) return undefined
        const text = await readFile(args.path, 'utf8')
        const distFile = posix(relative(src, args.path)).replace(/\.tsx?$/, '.js')
        const url = `__openledgerDistUrl(${JSON.stringify(distFile)})`
        const contents = text
          .replaceAll('import.meta.url', url)
          .replaceAll('import.meta.filename', `__openledgerPath(${url})`)
          .replaceAll('import.meta.dirname', `__openledgerPath(new URL('.', ${url}).href).replace(/[\\\\/]$/, '')`)
        return {contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts'}
      })
    },
  }
}

/**
 * Every package our code imports stays an import that Node resolves at run time, from node_modules.
 * What a bundled package (the autocomplete commands) imports is bundled with it: resolved from a
 * chunk in dist/app/, it could find another version than the one beside that package.
 */
const externalPackagesPlugin = {
  name: 'openledger-external-packages',
  setup(build) {
    build.onResolve({filter: /^[^./]/}, (args) =>
      args.path.startsWith('node:') || !args.importer.includes(`${sep}node_modules${sep}`) ? {external: true} : undefined,
    )
  },
}

/**
 * The lines each ES module output starts with: `__openledgerDistUrl(file)` is `file`'s URL in dist/
 * from wherever the output lies (see sourceUrlsPlugin); and in the file that defines esbuild's
 * __require (bundled CommonJS inside the autocomplete commands), the require it calls.
 */
const prelude = (toDist, text) =>
  [
    `const __openledgerDistUrl = (file) => new URL(${JSON.stringify(toDist)} + file, import.meta.url).href;`,
    ...(text.includes('__openledgerPath(') ? [`import {fileURLToPath as __openledgerPath} from 'node:url';`] : []),
    ...(/\bvar __require\b/.test(text)
      ? [
          `import {createRequire as __openledgerCreateRequire} from 'node:module'; const require = __openledgerCreateRequire(import.meta.url);`,
        ]
      : []),
  ].join('\n')

async function bundleOclif(root) {
  const file = join(root, 'dist', OCLIF_FILE)
  const {outputFiles} = await esbuild.build({
    stdin: {
      contents: `module.exports = {...require('@oclif/core'), HelpCommand: require('@oclif/plugin-help').commands.help}`,
      resolveDir: root,
      sourcefile: 'oclif-entry.cjs',
      loader: 'js',
    },
    outfile: file,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: NEVER,
    // oclif's engine check reads its package.json beside its own file, which the bundle is not: it
    // would only load semver (a tenth of oclif's start) to fail silently. npm checks "engines".
    define: {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"true"'},
    logLevel: 'warning',
    write: false,
  })
  // A script compiled from V8's code cache has no import() of its own under Node 20 (the callback
  // that resolves it is not restored with the cache): oclif's `await import(…)` calls go through
  // the function requireWithCodeCache passes in instead.
  const text = outputFiles[0].text.replaceAll('await import(', 'await __openledgerImport(')
  if (/[^\w.$"'`]import\(/.test(text)) throw new Error(`${OCLIF_FILE}: an import() that is not awaited; see bundleOclif`)
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, text)
  return Object.keys(createRequire(import.meta.url)(file))
}

/** Builds dist/app/ from src/; returns esbuild's metafile for the ES modules (what each output holds and imports). */
export async function bundleCli(root) {
  const dist = join(root, 'dist')
  const oclifExports = await bundleOclif(root)
  const result = await esbuild.build({
    entryPoints: entryPoints(root),
    outdir: join(dist, 'app'),
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    plugins: [virtualModulesPlugin(root, oclifExports), externalPackagesPlugin, sourceUrlsPlugin(root)],
    logLevel: 'warning',
    metafile: true,
    write: false,
  })
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), {recursive: true})
    const toDist = posix(relative(dirname(file.path), dist)) + '/'
    writeFileSync(file.path, file.path.endsWith('.js') ? `${prelude(toDist, file.text)}\n${file.text}` : file.contents)
  }
  return result.metafile
}
