import type { TaskSpec } from '../types.js';
import { BYTE_VOCAB_SIZE, BYTE_VOCAB_VERSION } from './bytes.js';
import { RETRIEVAL_SEQ_LEN, RETRIEVAL_TASK_FOLDERS, readRetrievalSplit, readRetrievalSplitInto } from './retrieval/reader.js';

/**
 * Retrieval: whether two AAN papers are linked by a citation, from the bytes of both (4000 per
 * document). A pair task: the second document is in `tokens2`, for a dual encoder.
 */
export const retrieval: TaskSpec<'retrieval'> = {
  name: 'retrieval',
  title: 'AAN matching',
  seqLen: RETRIEVAL_SEQ_LEN,
  vocabSize: BYTE_VOCAB_SIZE,
  numClasses: 2,
  pair: true,
  padId: 0,
  splits: ['train', 'val', 'test'],
  sourceFolders: RETRIEVAL_TASK_FOLDERS,
  vocabVersion: BYTE_VOCAB_VERSION,
  sourceHint: 'the tsv_data/ folder of the LRA release (lra_release.gz from gs://long-range-arena/lra_release)',
  read: readRetrievalSplit,
  readInto: readRetrievalSplitInto,
};
