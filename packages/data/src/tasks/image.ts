import type { TaskSpec } from '../types.js';
import { IMAGE_SEQ_LEN, IMAGE_TASK_FOLDERS, IMAGE_TOKEN_OFFSET, readImageSplit, readImageSplitInto } from './image/reader.js';

/**
 * Image: CIFAR-10 class (0-9) of a 32x32 grey image read as 1024 pixels. Ids are the grey level
 * + 1 (1..256, vocabulary 257) so that a black pixel is never taken for padding.
 */
export const image: TaskSpec<'image'> = {
  name: 'image',
  title: 'CIFAR-10 grey',
  seqLen: IMAGE_SEQ_LEN,
  vocabSize: 257,
  numClasses: 10,
  pair: false,
  padId: 0,
  zeroValueId: IMAGE_TOKEN_OFFSET,
  splits: ['train', 'val', 'test'],
  sourceFolders: IMAGE_TASK_FOLDERS,
  // v2: train and val cut TFDS's md5 order of the records, not file order (caches are rebuilt).
  vocabVersion: 'gray-plus-one-tfds-order-v2',
  sourceHint:
    'the unpacked cifar-10-batches-bin/ folder of cifar-10-binary.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html), which is not in the LRA release',
  read: readImageSplit,
  readInto: readImageSplitInto,
};
