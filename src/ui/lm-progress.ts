import type {ProgressReporter} from '../cli/progress.js'
import type {LmTrainProgress} from '../lm/index.js'

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return ''
  const s = Math.ceil(seconds)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/**
 * Language-model training progress as text: plain lines when the stream is not a TTY (logs, CI),
 * one line rewritten in place on a TTY. Steps print at most once a second; evaluations always.
 */
export function lmProgressPrinter(stream: NodeJS.WriteStream, now: () => number = () => performance.now()): (p: LmTrainProgress) => void {
  let last = Number.NEGATIVE_INFINITY
  return (p) => {
    const line =
      p.phase === 'eval'
        ? `epoch ${p.epoch}/${p.epochs}: validation loss ${p.loss.toFixed(4)}`
        : `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} · ${Math.round(p.tokensPerSecond)} tokens/s · ETA ${eta(p.etaSeconds)}`
    if (p.phase === 'train' && p.step < p.totalSteps && now() - last < 1000) return
    last = now()
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}${p.phase === 'eval' ? '\n' : ''}`)
    else stream.write(line + '\n')
  }
}

/** Language-model training as plain progress lines (src/cli/progress.ts): steps throttled, evaluations always. */
export function lmProgressLines(progress: ProgressReporter): (p: LmTrainProgress) => void {
  return (p) => {
    if (p.phase === 'eval') progress.say(`epoch ${p.epoch}/${p.epochs}: validation loss ${p.loss.toFixed(4)}`)
    else
      progress.update({
        what: `epoch ${p.epoch}/${p.epochs}`,
        done: p.step,
        total: p.totalSteps,
        unit: 'step',
        unitFirst: true,
        etaSeconds: p.etaSeconds,
        extra: `loss ${p.loss.toFixed(4)} · ${Math.round(p.tokensPerSecond)} tokens/s`,
      })
  }
}
