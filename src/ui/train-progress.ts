import type {ProgressReporter} from '../cli/progress.js'
import type {TrainProgressEvent} from '../model/progress.js'

type Listener = (e: TrainProgressEvent) => void

function eta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return ''
  if (seconds < 60) return ` · ETA ${Math.ceil(seconds)}s`
  return ` · ETA ${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`
}

type Deferred = {promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void; settled: boolean}
function deferred(): Deferred {
  const d = {settled: false} as Deferred
  d.promise = new Promise<void>((resolve, reject) => {
    d.resolve = () => {
      d.settled = true
      resolve()
    }
    d.reject = (e) => {
      d.settled = true
      reject(e)
    }
  })
  d.promise.catch(() => {})
  return d
}

/**
 * Runs `work` while listr2 shows encode and epoch progress with ETAs. Only on a TTY (stdout and
 * stderr) and never under --json: otherwise `work` runs with no renderer at all.
 */
export async function withTrainProgress<R>(enabled: boolean, work: (onProgress: Listener) => Promise<R>): Promise<R> {
  if (!enabled || !process.stdout.isTTY || !process.stderr.isTTY) return work(() => {})
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const phases = {encode: deferred(), train: deferred(), write: deferred()}
  const outputs: Record<keyof typeof phases, ((s: string) => void) | undefined> = {encode: undefined, train: undefined, write: undefined}
  const pending: Partial<Record<keyof typeof phases, string>> = {}
  const say = (phase: keyof typeof phases, text: string) => {
    pending[phase] = text
    outputs[phase]?.(text)
  }
  const listener: Listener = (e) => {
    if (e.type === 'device') say('encode', `device ${e.device}${e.requested !== e.device ? ` (asked ${e.requested})` : ''}`)
    if (e.type === 'encode') {
      say('encode', `${e.done}/${e.total} records${e.cached ? ` (${e.cached} cached)` : ''}${eta(e.etaSeconds)}`)
      if (e.done === e.total) phases.encode.resolve()
    }
    if (e.type === 'epoch') {
      phases.encode.resolve()
      const m = e.metrics
      const val = m.valLoss === null ? '' : ` · val loss ${m.valLoss.toFixed(4)} · val acc ${((m.valAccuracy ?? 0) * 100).toFixed(1)}%`
      say('train', `epoch ${e.epoch}/${e.epochs} · loss ${m.trainLoss.toFixed(4)}${val}${eta(e.etaSeconds)}`)
    }
    if (e.type === 'write') {
      phases.encode.resolve()
      phases.train.resolve()
      say('write', e.path)
    }
  }
  const task = (phase: keyof typeof phases, title: string) => ({
    title,
    task: async (_ctx: unknown, t: {output: string}) => {
      outputs[phase] = (s) => (t.output = s)
      if (pending[phase]) t.output = pending[phase]!
      await phases[phase].promise
    },
    rendererOptions: {persistentOutput: true},
  })
  // A pty that reports a width of 0 (some CI runners) makes listr2 wrap after every character.
  for (const stream of [process.stdout, process.stderr]) if (!(stream.columns > 0)) stream.columns = 80
  const logger = new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})
  const list = new Listr([task('encode', 'Encode records'), task('train', 'Train adapter and head'), task('write', 'Write artifact')], {
    concurrent: false,
    exitOnError: true,
    renderer: 'default',
    // Progress is for people: stderr, so that stdout stays the command's output.
    rendererOptions: {collapseErrors: false, logger},
  })
  const shown = list.run().catch(() => {})
  try {
    const result = await work(listener)
    for (const d of Object.values(phases)) d.resolve()
    await shown
    return result
  } catch (err) {
    for (const d of Object.values(phases)) if (!d.settled) d.reject(new Error((err as Error).message?.split('\n')[0] ?? 'failed'))
    await shown
    throw err
  }
}

/** Training events as plain progress lines (src/cli/progress.ts): records encoded, then epochs, each with an ETA. */
export function trainProgressLines(progress: ProgressReporter): Listener {
  let records = 0
  return (e) => {
    if (e.type === 'device') progress.say(`device ${e.device}${e.requested !== e.device ? ` (asked ${e.requested})` : ''}`)
    if (e.type === 'load') {
      records = e.records
      progress.say(`${e.records.toLocaleString('en-US')} records${e.excluded ? ` (${e.excluded} excluded)` : ''}`)
    }
    if (e.type === 'encode')
      progress.update({
        what: 'encode',
        done: e.done,
        total: e.total,
        unit: 'records',
        etaSeconds: e.etaSeconds,
        extra: e.cached ? `${e.cached.toLocaleString('en-US')} cached` : undefined,
      })
    if (e.type === 'epoch') {
      const m = e.metrics
      const val = m.valLoss === null ? '' : ` · val loss ${m.valLoss.toFixed(4)} · val acc ${((m.valAccuracy ?? 0) * 100).toFixed(1)}%`
      progress.update({
        what: `${records.toLocaleString('en-US')} records`,
        done: e.epoch,
        total: e.epochs,
        unit: 'epoch',
        unitFirst: true,
        etaSeconds: e.etaSeconds,
        extra: `loss ${m.trainLoss.toFixed(4)}${val}`,
      })
    }
    if (e.type === 'write') progress.say(`writing ${e.path}`)
  }
}
