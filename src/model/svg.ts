import type {EpochMetrics} from './fit.js'

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** Loss (train, validation) and validation accuracy per epoch, as a self-contained SVG. */
export function trainingCurveSvg(epochs: EpochMetrics[], bestEpoch: number): string {
  const W = 720
  const H = 300
  const pad = {l: 56, r: 16, t: 36, b: 40}
  const panelW = (W - pad.l * 2 - pad.r * 2) / 2
  const ph = H - pad.t - pad.b
  const n = Math.max(1, epochs.length)
  const xs = (i: number, x0: number) => x0 + (n === 1 ? panelW / 2 : (i / (n - 1)) * panelW)
  const losses = epochs.flatMap((e) => [e.trainLoss, e.valLoss ?? e.trainLoss]).filter(Number.isFinite)
  const maxLoss = Math.max(1e-6, ...losses) * 1.05
  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  )
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  const panel = (
    x0: number,
    title: string,
    series: {values: (number | null)[]; color: string; label: string}[],
    max: number,
    fmt: (v: number) => string,
  ) => {
    const y = (v: number) => pad.t + ph - (v / max) * ph
    out.push(`<text x="${x0 + panelW / 2}" y="${pad.t - 16}" text-anchor="middle" font-size="13">${esc(title)}</text>`)
    out.push(`<rect x="${x0}" y="${pad.t}" width="${panelW}" height="${ph}" fill="none" stroke="#999"/>`)
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4
      out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`)
      out.push(`<text x="${x0 - 4}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`)
    }
    epochs.forEach((e, i) => {
      if (n <= 12 || i % Math.ceil(n / 12) === 0)
        out.push(`<text x="${xs(i, x0)}" y="${pad.t + ph + 14}" text-anchor="middle">${e.epoch}</text>`)
    })
    out.push(`<text x="${x0 + panelW / 2}" y="${H - 6}" text-anchor="middle">epoch</text>`)
    const bi = epochs.findIndex((e) => e.epoch === bestEpoch)
    if (bi >= 0)
      out.push(`<line x1="${xs(bi, x0)}" x2="${xs(bi, x0)}" y1="${pad.t}" y2="${pad.t + ph}" stroke="#bbb" stroke-dasharray="4 3"/>`)
    series.forEach((s, si) => {
      const pts = s.values
        .map((v, i) => (v === null || !Number.isFinite(v) ? null : `${xs(i, x0).toFixed(1)},${y(v).toFixed(1)}`))
        .filter((p): p is string => p !== null)
      if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`)
      for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`)
      out.push(
        `<rect x="${x0 + 8}" y="${pad.t + 8 + si * 16}" width="10" height="10" fill="${s.color}"/><text x="${x0 + 22}" y="${pad.t + 17 + si * 16}">${esc(s.label)}</text>`,
      )
    })
  }
  panel(
    pad.l,
    'loss',
    [
      {values: epochs.map((e) => e.trainLoss), color: '#1f77b4', label: 'train'},
      {values: epochs.map((e) => e.valLoss), color: '#ff7f0e', label: 'validation'},
    ],
    maxLoss,
    (v) => v.toFixed(2),
  )
  panel(
    pad.l * 2 + pad.r + panelW,
    'validation accuracy',
    [{values: epochs.map((e) => e.valAccuracy), color: '#2ca02c', label: 'accuracy'}],
    1,
    (v) => `${Math.round(v * 100)}%`,
  )
  out.push('</svg>')
  return out.join('\n') + '\n'
}
