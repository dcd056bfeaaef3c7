export type {
  GeneratorHooks,
  GeneratorInput,
  ReadOptions,
  ReadReport,
  SplitData,
  SplitName,
  SplitSink,
  TaskGenerator,
  TaskSpec,
} from './types.js';
export { TokenColumn, type TokenArray, type TokenChunk } from './tokens/token-column.js';
export { STORED_ID_SHIFT, tokenStorageFor, type TokenStorage, type TokenStorageType } from './tokens/storage.js';
export { SplitDataBuilder, collectSplit } from './split-builder.js';
export { splitNames } from './types.js';
export { CacheError, DataFormatError, DataSourceError } from './errors.js';
export { loadPreparedVariant, preparedVariants, type PreparedVariant } from './prepared-variants.js';
export { getTask, isTaskName, taskNames, tasks, type TaskName } from './tasks/registry.js';
export { listops } from './tasks/listops.js';
export { text } from './tasks/text.js';
export { retrieval } from './tasks/retrieval.js';
export { image } from './tasks/image.js';
export {
  BYTE_PAD,
  BYTE_VOCAB_SIZE,
  BYTE_VOCAB_VERSION,
  byteTokens,
  bytesOfTokens,
  findInvalidUtf8,
  stripAsciiWhitespace,
  type Utf8Problem,
} from './tasks/bytes.js';
export { IMDB_CLASSES, TEXT_CODE_SEQ_LEN, TEXT_SEQ_LEN, findImdbSplitDir, imdbFolderOf, readTextSplit, readTextSplitInto } from './tasks/text/reader.js';
export {
  RETRIEVAL_COLUMNS,
  RETRIEVAL_SEQ_LEN,
  parseRetrievalLabel,
  readRetrievalFile,
  readRetrievalFileInto,
  readRetrievalSplit,
  readRetrievalSplitInto,
  retrievalFileName,
} from './tasks/retrieval/reader.js';
export {
  CIFAR_RECORD_BYTES,
  CIFAR_TEST_FILE,
  CIFAR_TRAIN_FILES,
  IMAGE_SEQ_LEN,
  IMAGE_TOKEN_OFFSET,
  cifarTrainCount,
  parseCifarFile,
  readImageSplit,
  readImageSplitInto,
} from './tasks/image/reader.js';
export { GRAY_WEIGHTS, grayPlanar, lraGray } from './tasks/image/grayscale.js';
export { pathfinder } from './tasks/pathfinder.js';
export { pathx } from './tasks/pathx.js';
export {
  PATHFINDER_DIFFICULTY,
  PATHFINDER_TOKEN_OFFSET,
  PATHFINDER_VOCAB_SIZE,
  PATHFINDER_VOCAB_VERSION,
  findPathfinderDifficultyDir,
  pathfinderLayout,
  pathxLayout,
  readPathfinderMetadata,
  readPathfinderSplit,
  readPathfinderSplitInto,
  sortMetadataFiles,
  type PathfinderEntry,
  type PathfinderLayout,
  type PathfinderSplitData,
} from './tasks/pathfinder/reader.js';
export {
  PATHFINDER_METADATA_FIELDS,
  formatPathfinderMetadataLine,
  parsePathfinderMetadataLine,
  pathfinderMetadataFieldNames,
  pythonNumber,
  type PathfinderMetadata,
} from './tasks/pathfinder/metadata.js';
export { pathfinderDifficultySplits, pathfinderExampleKey, pathfinderSplitRange, tfdsRecordOrder } from './tasks/pathfinder/order.js';
export {
  pathfinderResolutionSettings,
  pathfinderSettingsFor,
  validatePathfinderSettings,
  type PathfinderStimulusSettings,
} from './tasks/pathfinder/settings.js';
export {
  PathfinderStimulusSampler,
  type Contour,
  type ContourRole,
  type Paddle,
  type PathfinderStimulus,
} from './tasks/pathfinder/stimulus.js';
export { renderPathfinderContourMap, renderPathfinderStimulus } from './tasks/pathfinder/render.js';
export {
  generatePathfinder,
  makePathfinderGenerator,
  pathfinderBatchStimuli,
  pathfinderDifficultyFolder,
  pathfinderGeneratorPresets,
  resolvePathfinderGeneratorOptions,
  type PathfinderGeneratorOptions,
} from './tasks/pathfinder/generator.js';
export { PngError } from './png/errors.js';
export { decodePng, decodePngGray, toGray, type GrayImage, type PngColorType, type PngHeader, type PngImage } from './png/decode.js';
export { encodePngGray, type PngEncodeOptions } from './png/encode.js';
export {
  LISTOPS_DIGIT_0,
  LISTOPS_END,
  LISTOPS_MAX,
  LISTOPS_MED,
  LISTOPS_MIN,
  LISTOPS_OOV,
  LISTOPS_PAD,
  LISTOPS_SM,
  LISTOPS_VOCAB_SIZE,
  LISTOPS_VOCAB_VERSION,
  applyListOpsOperator,
  listopsOperators,
  listopsTokenId,
  listopsVocabulary,
  type ListOpsOperator,
} from './tasks/listops/vocab.js';
export { ListOpsExpressionParser, evaluateListOps, tokenizeListOps } from './tasks/listops/expression.js';
export {
  LISTOPS_HEADER,
  listopsFileName,
  readListOpsFile,
  readListOpsFileInto,
  readListOpsSplit,
  readListOpsSplitInto,
} from './tasks/listops/reader.js';
export {
  ListOpsTreeSampler,
  generateListOps,
  listopsGenerator,
  listopsGeneratorDefaults,
  listopsGeneratorPresets,
  resolveListOpsGeneratorOptions,
  type ListOpsGeneratorOptions,
} from './tasks/listops/generator.js';
export {
  SPLIT_FILE_FORMAT,
  WHOLE_FILE_READ_LIMIT,
  joinSplitShards,
  readSplitArrow,
  splitToTable,
  writeSplitArrow,
  type WriteSplitOptions,
} from './cache/arrow.js';
export {
  SOURCE_CHECKSUMS_FILE,
  checksumSourceFiles,
  sourceChecksumListing,
  summariseSources,
  type SourceFileChecksum,
  type SourceSummary,
} from './cache/sources.js';
export {
  CACHE_FORMAT_VERSION,
  MANIFEST_FILE,
  readManifest,
  type ManifestShard,
  type ManifestSource,
  type ManifestSplit,
  type ManifestTokenStorage,
  type TaskManifest,
} from './cache/manifest.js';
export { DEFAULT_SHARD_BYTES, ShardedSplitWriter, shardFileName, type ShardedSplitOptions, type WrittenShard } from './cache/shard-writer.js';
export { loadCachedSplits, type LoadCacheOptions, type LoadedCache } from './cache/load.js';
export { VERIFIED_FILE, type FileStamp } from './cache/stamps.js';
export {
  ensureTaskData,
  manifestVersionProblem,
  prepareTask,
  type PrepareLog,
  type PrepareOptions,
  type PrepareProgress,
  type PreparedTask,
  type TaskData,
} from './prepare.js';
export { inspectSplit, labelCounts, majorityRate, type SplitInspection } from './inspect.js';
export {
  SeededBatcher,
  evalBatches,
  gatherBatch,
  rowLengths,
  type Batch,
  type BatchOptions,
  type EvalBatchOptions,
  type BatchWithLengths,
  type SeededBatchOptions,
} from './batching.js';
export * from './download/index.js';
