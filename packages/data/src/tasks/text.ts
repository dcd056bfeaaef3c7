import type { TaskSpec } from '../types.js';
import { BYTE_VOCAB_SIZE, BYTE_VOCAB_VERSION } from './bytes.js';
import { TEXT_SEQ_LEN, TEXT_TASK_FOLDERS, readTextSplit, readTextSplitInto } from './text/reader.js';

/** Text: IMDB sentiment (neg 0, pos 1) from the bytes of a review, 4000 of them (the paper). */
export const text: TaskSpec<'text'> = {
  name: 'text',
  title: 'IMDB bytes',
  seqLen: TEXT_SEQ_LEN,
  vocabSize: BYTE_VOCAB_SIZE,
  numClasses: 2,
  pair: false,
  padId: 0,
  splits: ['train', 'val', 'test'],
  sourceFolders: TEXT_TASK_FOLDERS,
  vocabVersion: BYTE_VOCAB_VERSION,
  sourceHint:
    'the unpacked aclImdb/ folder of aclImdb_v1.tar.gz (https://ai.stanford.edu/~amaas/data/sentiment/), which is not in the LRA release',
  read: readTextSplit,
  readInto: readTextSplitInto,
};
