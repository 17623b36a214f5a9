// Runs one command class from the TypeScript sources in this process:
//   node --import <tsx loader> test/model/helpers/run-cli.ts <command file under src/commands> [args…]
// bin/dev.js would load commands through oclif.manifest.json, i.e. from dist/, which may be stale.
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const [id, ...argv] = process.argv.slice(2)
const {default: Cmd} = (await import(pathToFileURL(join(root, 'src', 'commands', `${id}.ts`)).href)) as {
  default: {run(argv: string[], opts: string): Promise<unknown>}
}
await Cmd.run(argv, root)
