export type { GeneratorHooks, GeneratorInput, ReadOptions, SplitData, SplitName, TaskGenerator, TaskSpec } from './types.js';
export { splitNames } from './types.js';
export { CacheError, DataFormatError, DataSourceError } from './errors.js';
export { getTask, isTaskName, taskNames, tasks, type TaskName } from './tasks/registry.js';
export { listops } from './tasks/listops.js';
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
export { LISTOPS_HEADER, listopsFileName, readListOpsFile, readListOpsSplit } from './tasks/listops/reader.js';
export {
  ListOpsTreeSampler,
  generateListOps,
  listopsGenerator,
  listopsGeneratorDefaults,
  listopsGeneratorPresets,
  resolveListOpsGeneratorOptions,
  type ListOpsGeneratorOptions,
} from './tasks/listops/generator.js';
export { SPLIT_FILE_FORMAT, readSplitArrow, splitToTable, writeSplitArrow, type WriteSplitOptions } from './cache/arrow.js';
export {
  CACHE_FORMAT_VERSION,
  MANIFEST_FILE,
  readManifest,
  type ManifestSource,
  type ManifestSplit,
  type TaskManifest,
} from './cache/manifest.js';
export {
  ensureTaskData,
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
  type Batch,
  type BatchOptions,
  type BatchWithLengths,
  type SeededBatchOptions,
} from './batching.js';
