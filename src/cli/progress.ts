import {Flags} from '@oclif/core'

/** `--quiet`/`-q`: no progress lines on stderr (results and errors still print). */
export const quietFlag = {
  quiet: Flags.boolean({char: 'q', description: 'No progress lines on stderr (results and errors still print).'}),
}

/** One step of a long task, as the domain code reports it through its callback. */
export type ProgressUpdate = {
  /** What runs: "encode", "epoch 3/20", "self-influence", "tickets.jsonl". */
  what: string
  done: number
  total: number
  /** What is counted: "records", "files" (after the count), or "step" with `unitFirst` ("step 5/24"). */
  unit: string
  unitFirst?: boolean
  etaSeconds?: number | null
  /** A short tail: "loss 0.4312", "12.0 MB". */
  extra?: string
}

export type ProgressReporter = {
  update(u: ProgressUpdate): void
  /** A one-off line (a phase change, the device picked): printed at once. */
  say(text: string): void
  /**
   * A phase with no counts to report (one long call): says it at once, then "still …, 12 s" every
   * interval until the returned stop() is called. Timers: only for async work.
   */
  phase(text: string): () => void
}

export const formatEta = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return ''
  const s = Math.ceil(seconds)
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

export const progressLine = (prefix: string, u: ProgressUpdate): string => {
  const eta = u.done >= u.total ? '' : formatEta(u.etaSeconds)
  const count = `${u.done.toLocaleString('en-US')}/${u.total.toLocaleString('en-US')}`
  return [`${prefix}: ${u.what}`, u.unitFirst ? `${u.unit} ${count}` : `${count} ${u.unit}`, u.extra, eta && `ETA ${eta}`]
    .filter(Boolean)
    .join(' · ')
}

export type PlainProgressOptions = {
  /** The command's name, starting each line ("train: …"). */
  prefix: string
  stream?: NodeJS.WritableStream
  /** At most one line per this many milliseconds (the last update of a task always prints). */
  intervalMs?: number
  now?: () => number
}

/**
 * Progress as plain lines, for logs and pipes: one line every few seconds at most, with counts and
 * an ETA, plus the line that finishes each task. A line per update would flood a CI log (24k
 * records, 20 epochs); none at all looks hung.
 */
export function plainProgress(o: PlainProgressOptions): ProgressReporter {
  const stream = o.stream ?? process.stderr
  const interval = o.intervalMs ?? 3000
  const now = o.now ?? (() => performance.now())
  let last = Number.NEGATIVE_INFINITY
  // The latest update held back by the interval: shown before the next one-off line, so a task that
  // ends early (training stopped early, at epoch 6 of 10) still shows where it ended.
  let held: ProgressUpdate | undefined
  const write = (line: string) => {
    last = now()
    stream.write(line + '\n')
  }
  return {
    update(u) {
      const finished = u.total > 0 && u.done >= u.total
      if (!finished && now() - last < interval) {
        held = u
        return
      }
      held = undefined
      write(progressLine(o.prefix, u))
    },
    say(text) {
      if (held) write(progressLine(o.prefix, held))
      held = undefined
      write(`${o.prefix}: ${text}`)
    },
    phase(text) {
      const t0 = now()
      this.say(text)
      const timer = setInterval(() => this.say(`${text} · ${Math.round((now() - t0) / 1000)} s`), interval)
      timer.unref()
      return () => clearInterval(timer)
    },
  }
}

/** What --quiet gets. */
export const silentProgress: ProgressReporter = {update() {}, say() {}, phase: () => () => {}}

/**
 * The progress a command shows: none under --quiet; `undefined` when both stdout and stderr are a
 * terminal and the output is for people (no --json), where the command draws its own live view
 * (listr2, ink); plain lines on stderr otherwise (logs, pipes, `2>&1 | cat`, scripts reading
 * --json from stdout), so a long run never looks hung.
 */
export function commandProgress(o: PlainProgressOptions & {quiet?: boolean; json?: boolean}): ProgressReporter | undefined {
  if (o.quiet) return silentProgress
  if (!o.json && process.stdout.isTTY && process.stderr.isTTY) return undefined
  return plainProgress(o)
}

/** Adds this large (bytes in all) get progress lines; a small add is over before one would help. */
export const ADD_PROGRESS_MIN_BYTES = 2 * 1024 * 1024

/**
 * `datanet add` progress: a line per file every few seconds (files, MB, records staged) once the
 * add is large enough to take a while. On a terminal too: the add has no live view.
 */
export function addProgressLines(
  progress: ProgressReporter | undefined,
): (p: {file?: string; filesDone: number; files: number; bytesDone: number; bytes: number; added: number}) => void {
  const out = progress ?? plainProgress({prefix: 'datanet add'})
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
  const t0 = performance.now()
  return (p) => {
    if (p.bytes < ADD_PROGRESS_MIN_BYTES) return
    const seconds = (performance.now() - t0) / 1000
    out.update({
      etaSeconds: p.bytesDone > 0 ? (seconds / p.bytesDone) * (p.bytes - p.bytesDone) : null,
      what: p.file ? `reading ${p.file}` : 'done',
      done: p.filesDone,
      total: p.files,
      unit: p.files === 1 ? 'file' : 'files',
      extra: `${mb(p.bytesDone)}/${mb(p.bytes)} MB · ${p.added.toLocaleString('en-US')} records staged`,
    })
  }
}
