// The CLI as an esbuild bundle in dist/app/: oclif and our code compiled into a few files, so a
// command starts by reading a handful of files instead of resolving ~200 modules one by one
// (npm run bench -- cli).
//
// - One entry per command (dist/app/commands/<topic>/<name>.js, where oclif's manifest points), one
//   for bin/run.js (dist/app/main.js: oclif's execute), one per hook; shared code in dist/app/chunks/.
//   A command loads only its own graph, as with plain tsc output.
// - Every dynamic import() in src/ stays a separate chunk, loaded only when that code runs.
// - Every package except oclif is left external: Node loads it from node_modules exactly as before,
//   when (and only when) it is reached.
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, join, relative, sep} from 'node:path'

import * as esbuild from 'esbuild'

/** Packages compiled into the bundle (with whatever they import); every other package stays external. */
const BUNDLED = ['@oclif/core', '@oclif/plugin-help']
/** Never bundled, even where a bundled package names them: oclif's TypeScript support for development. */
const NEVER = ['typescript', 'ts-node', 'tsx', 'pnpapi']

const packageName = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/')
const posix = (path) => path.split(sep).join('/')

/** One entry per file under src/commands and src/hooks, at the same relative path under dist/app/. */
function entryPoints(root) {
  const src = join(root, 'src')
  const under = (folder) =>
    readdirSync(join(src, folder), {recursive: true})
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => ({in: join(src, folder, f), out: posix(join(folder, f.replace(/\.tsx?$/, '')))}))
  return [
    {in: 'openledger-entry:main', out: 'main'},
    // `openledger help`, compiled against the bundled oclif rather than loaded as a plugin with its own.
    {in: 'openledger-entry:help', out: 'commands/help'},
    ...under('commands'),
    ...under('hooks'),
  ]
}

const VIRTUAL_ENTRIES = {
  main: `export {execute} from '@oclif/core'`,
  help: `import {commands} from '@oclif/plugin-help'\nexport default commands.help`,
}

function virtualEntriesPlugin(root) {
  return {
    name: 'openledger-virtual-entries',
    setup(build) {
      build.onResolve({filter: /^openledger-entry:/}, (args) => ({
        path: args.path.slice('openledger-entry:'.length),
        namespace: 'openledger-entry',
      }))
      build.onLoad({filter: /.*/, namespace: 'openledger-entry'}, (args) => ({
        contents: VIRTUAL_ENTRIES[args.path],
        resolveDir: root,
        loader: 'js',
      }))
    },
  }
}

/**
 * Every source file's `import.meta.url` becomes its own file in dist/ (as tsc writes it), so code
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
        const contents = text.replaceAll('import.meta.url', `__openledgerDistUrl(${JSON.stringify(distFile)})`)
        return {contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts'}
      })
    },
  }
}

/** Everything but oclif stays a package import that Node resolves at run time, from node_modules. */
function externalsPlugin() {
  return {
    name: 'openledger-externals',
    setup(build) {
      build.onResolve({filter: /^[^./]/}, (args) => {
        if (args.path.startsWith('node:') || (args.namespace === 'openledger-entry' && !BUNDLED.includes(packageName(args.path))))
          return {external: true}
        const name = packageName(args.path)
        if (NEVER.includes(name)) return {external: true}
        // Inside a bundled package its own dependencies come along; from our code only BUNDLED do.
        const fromPackage = args.importer.includes(`${sep}node_modules${sep}`)
        if (fromPackage || BUNDLED.includes(name)) return undefined
        return {external: true}
      })
    },
  }
}

/**
 * The lines each output file starts with. oclif is CommonJS: inside an ES module it needs require,
 * __dirname and __filename. `distUrl` is how far the file lies below dist/ (see sourceUrlsPlugin).
 */
function prelude(toDist) {
  return [
    `import {createRequire as __openledgerCreateRequire} from 'node:module';`,
    `const require = __openledgerCreateRequire(import.meta.url);`,
    `const __filename = import.meta.filename, __dirname = import.meta.dirname;`,
    `const __openledgerDistUrl = (file) => new URL(${JSON.stringify(toDist)} + file, import.meta.url).href;`,
  ].join(' ')
}

/** Builds dist/app/ from src/; returns esbuild's metafile (what each output holds and imports). */
export async function bundleCli(root) {
  const dist = join(root, 'dist')
  const outdir = join(dist, 'app')
  const result = await esbuild.build({
    entryPoints: entryPoints(root),
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    plugins: [virtualEntriesPlugin(root), externalsPlugin(), sourceUrlsPlugin(root)],
    logLevel: 'warning',
    metafile: true,
    write: false,
  })
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), {recursive: true})
    const toDist = posix(relative(dirname(file.path), dist)) + '/'
    writeFileSync(file.path, file.path.endsWith('.js') ? `${prelude(toDist)}\n${file.text}` : file.contents)
  }
  return result.metafile
}
