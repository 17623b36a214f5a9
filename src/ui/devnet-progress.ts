import type {DevnetProgress} from '../devnet/supervisor.js'

/**
 * Runs `work` (a devnet start) under a listr2 task list fed by its progress events: chains, genesis,
 * ready. Only for people: on a TTY, never under --json; otherwise `work` runs without a renderer.
 */
export async function withDevnetProgress<R>(enabled: boolean, work: (onProgress: (e: DevnetProgress) => void) => Promise<R>): Promise<R> {
  if (!enabled || !process.stderr.isTTY) return work(() => {})
  const {Listr} = await import('listr2')
  const steps = ['chains', 'genesis', 'ready'] as const
  type Step = (typeof steps)[number]
  const waiters = new Map<Step, {promise: Promise<string>; resolve: (title: string) => void; reject: (e: unknown) => void}>()
  for (const s of steps) {
    let resolve!: (t: string) => void
    let reject!: (e: unknown) => void
    const promise = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)))
    promise.catch(() => {})
    waiters.set(s, {promise, resolve, reject})
  }
  const rpc: string[] = []
  const onProgress = (e: DevnetProgress) => {
    if (e.stage === 'anvil') {
      rpc.push(`${e.chain.toUpperCase()} ${e.rpcUrl}`)
      if (rpc.length === 2) waiters.get('chains')!.resolve(`L1 and L2 anvil listening (${rpc.join(', ')})`)
    }
    if (e.stage === 'genesis')
      waiters
        .get('genesis')!
        .resolve(
          e.forked
            ? 'Forked both chains, dev accounts funded'
            : e.resumed
              ? `Resumed from L1 block ${e.resumed.l1BlockNumber}, L2 block ${e.resumed.l2BlockNumber} (the last devnet crashed)`
              : e.fromCache
                ? 'Genesis loaded from cache'
                : 'Genesis built: contracts deployed, accounts funded, cached',
        )
    if (e.stage === 'ready') waiters.get('ready')!.resolve(`Relayer running, .openledger/devnet.json written (${e.ms} ms)`)
  }
  const titles: Record<Step, string> = {
    chains: 'Starting L1 and L2 anvil',
    genesis: 'Deploying contracts and funding accounts',
    ready: 'Starting the bridge relayer',
  }
  const list = new Listr(
    steps.map((s) => ({
      title: titles[s],
      task: async (_: unknown, task: {title: string}) => {
        task.title = await waiters.get(s)!.promise
      },
    })),
    {
      rendererOptions: {collapseErrors: true},
      exitOnError: true,
      renderer: 'default',
      fallbackRenderer: 'simple',
      fallbackRendererCondition: () => !process.stderr.isTTY,
    },
  )
  const shown = list.run().catch(() => {})
  try {
    const result = await work(onProgress)
    await shown
    return result
  } catch (err) {
    for (const w of waiters.values()) w.reject(err)
    await shown
    throw err
  }
}
