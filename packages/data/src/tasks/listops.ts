import type { TaskSpec } from '../types.js';
import { listopsGenerator } from './listops/generator.js';
import { LISTOPS_SEQ_LEN, LISTOPS_TASK_FOLDERS, readListOpsSplit, readListOpsSplitInto } from './listops/reader.js';
import { LISTOPS_VOCAB_SIZE, LISTOPS_VOCAB_VERSION } from './listops/vocab.js';

/** ListOps: the value (0-9) of a nested MIN/MAX/MED/SM expression of up to 2000 tokens. */
export const listops: TaskSpec<'listops'> = {
  name: 'listops',
  title: 'ListOps',
  seqLen: LISTOPS_SEQ_LEN,
  vocabSize: LISTOPS_VOCAB_SIZE,
  numClasses: 10,
  pair: false,
  padId: 0,
  splits: ['train', 'val', 'test'],
  sourceFolders: LISTOPS_TASK_FOLDERS,
  vocabVersion: LISTOPS_VOCAB_VERSION,
  sourceHint:
    'the listops-1000/ folder of the LRA release (lra_release.gz from gs://long-range-arena/lra_release), or generate it with --generate',
  read: readListOpsSplit,
  readInto: readListOpsSplitInto,
  generator: listopsGenerator,
};
