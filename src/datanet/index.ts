/**
 * Datanets: community data sets, content-addressed record by record, versioned locally and
 * published on-chain through DatanetRegistry with a Merkle root anyone can check with
 * @openzeppelin/merkle-tree. No oclif here: the commands in src/commands/datanet/ call these.
 */
export {CanonicalJsonError, canonicalJson} from './canonical-json.js'
export {datanetChain, datanetReader} from './chain.js'
export * from './errors.js'
export {MEDIA_EXTENSIONS, TEXT_EXTENSIONS, csvRecords, decodeUtf8, parseCsv, parseDocument, parseJsonl} from './formats.js'
export {CONTRIBUTOR_FIELD, contentFields, recordHash, recordHashInto} from './hash.js'
export {
  MAX_FILE_BYTES,
  RESERVED_FIELDS,
  STREAM_FORMATS,
  collectFiles,
  ingestFile,
  ingestPaths,
  ingestStream,
  sniffFormat,
  toRecord,
} from './ingest.js'
export type {IngestOptions, IngestResult, IngestedFile, RecordStream, StreamFormat} from './ingest.js'
export {FieldCheck, editDistance, suggestField} from './fields.js'
export type {NewField} from './fields.js'
export {RecordNotStagedError, removeRecords, unstageFile} from './remove.js'
export type {RemoveRecordsParameters, RemoveResult, RemovedRecord, UnstageResult} from './remove.js'
export {keccak256Bytes, keccak256Into} from './keccak.js'
export {
  addToDatanet,
  createDatanet,
  datanetProof,
  datanetRecords,
  diffVersions,
  exportDatanet,
  leavesOf,
  listDatanets,
  loadDatanetVersion,
  recordView,
  showDatanet,
} from './local.js'
export type {
  AddProgress,
  AddResult,
  DatanetSummary,
  DiffResult,
  ExportResult,
  LoadDatanetVersionOptions,
  LoadedDatanetVersion,
  ProofResult,
  ShowResult,
} from './local.js'
export {LEAF_ENCODING, MerkleTree, leafHash, merkleProof, merkleRoot, processProof, verifyMerkleProof} from './merkle.js'
export type {MerkleLeaf} from './merkle.js'
export type {DatanetChain, DatanetReader} from './chain.js'
export {contributeToDatanet} from './contribute.js'
export type {ContributeResult} from './contribute.js'
export {setDatanetCurator} from './curator.js'
export type {CuratorResult} from './curator.js'
export {onChainState} from './onchain-state.js'
export type {OnChainState} from './onchain-state.js'
export {publishDatanet} from './publish-version.js'
export type {PublishResult} from './publish-version.js'
export {registerDatanet} from './registration.js'
export type {RegisterResult} from './registration.js'
export {reviewContributions} from './review.js'
export type {ContributionView, ReviewResult} from './review.js'
export {DatanetStore, datanetsDir} from './store.js'
export * from './types.js'
