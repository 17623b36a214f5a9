import type {EpochMetrics} from './fit.js'

/** What train/infer report while they run; the CLI decides how (or whether) to render it. */
export type TrainProgressEvent =
  | {type: 'device'; device: string; requested: string}
  | {type: 'load'; records: number; excluded: number}
  | {type: 'encode'; done: number; total: number; cached: number; etaSeconds: number | null}
  | {type: 'epoch'; epoch: number; epochs: number; metrics: EpochMetrics; etaSeconds: number}
  | {type: 'write'; path: string}

export type ProgressListener = (event: TrainProgressEvent) => void
