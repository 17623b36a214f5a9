import type {Address, Hex} from 'viem'

export const MODALITIES = ['text', 'image', 'audio'] as const
export type Modality = (typeof MODALITIES)[number]

/** The uint8 DatanetRegistry stores for each modality. */
export const MODALITY_CODE: Record<Modality, number> = {text: 0, image: 1, audio: 2}

/** One record: its content fields (everything but `contributor`), who contributed it, its hash. */
export type DatanetRecord = {
  recordHash: Hex
  contributor: Address
  fields: Record<string, unknown>
}

/** What `datanet records --json` prints per record: the hash, the contributor, then the fields. */
export type RecordView = {recordHash: Hex; contributor: Address} & Record<string, unknown>

export type OnChainDatanet = {
  chainId: number
  registry: Address
  datanetId: string
  owner: Address
  txHash: Hex
  metadataURI: string
}

export type VersionInfo = {
  version: number
  root: Hex
  records: number
  /** Bytes of the version file; the fee is charged on it. */
  byteSize: number
  /** versions/<n>.jsonl, relative to the datanet's folder. */
  file: string
  /** sha256 of that file: a published version never changes. */
  sha256: string
  added: number
  metadataURI: string
  chainId: number
  registry: Address
  datanetId: string
  /** The version number DatanetRegistry gave (the same unless the chain was reset). */
  chainVersion: number
  txHash: Hex
  blockNumber: string
  /** Wei paid, as a decimal string. */
  fee: string
  publishedAt: string
}

export type ContributionStatus = 'pending' | 'approved' | 'rejected'

export type ContributionInfo = {
  id: string
  contributor: Address
  contentRoot: Hex
  records: number
  uri: string
  /** contributions/<contentRoot>.jsonl, relative to the datanet's folder. */
  file: string
  txHash: Hex
  status: ContributionStatus
  reviewTxHash?: Hex
  /** Records staged into the draft on approval (the rest were already in the datanet). */
  staged?: number
}

/** `.openledger/datanets/<name>/datanet.json`. */
export type DatanetManifest = {
  format: 'openledger-datanet-v1'
  name: string
  summary?: string
  description?: string
  tags: string[]
  modality: Modality
  createdAt: string
  chain?: OnChainDatanet
  versions: VersionInfo[]
  contributions: ContributionInfo[]
  /** Files staged by `datanet add`, by content hash: re-adding one is reported as such. */
  sources: DatanetSource[]
  /**
   * Every field name the datanet's records have had (sorted): what `datanet add` checks new
   * records against. Absent in manifests written before it; then read from the records once.
   */
  fields?: string[]
}

/** A file (or stdin, path "-") `datanet add` staged records from. */
export type DatanetSource = {
  sha256: string
  path: string
  records: number
  added: number
  at: string
  /**
   * Where the records it staged sit in the draft, one range per add that staged some (a file's
   * records are appended together): segment number, index of the first, count. Dropped when they
   * are published or unstaged.
   */
  staged?: Array<{segment: number; first: number; count: number}>
  /** The version that published what it added. */
  publishedIn?: number
}
