import type { TaskSpec } from '../types.js';
import { makePathfinderGenerator } from './pathfinder/generator.js';
import {
  PATHFINDER_TOKEN_OFFSET,
  PATHFINDER_VOCAB_SIZE,
  PATHFINDER_VOCAB_VERSION,
  pathfinderLayout,
  readPathfinderSplit,
  readPathfinderSplitInto,
} from './pathfinder/reader.js';

/**
 * Pathfinder: whether two markers in a 32x32 image sit on the same dashed contour, read as 1024
 * pixels (grey level + 1). The release's pathfinder32/curv_contour_length_14 ('hard').
 */
export const pathfinder: TaskSpec<'pathfinder'> = {
  name: 'pathfinder',
  title: 'Pathfinder 32',
  seqLen: pathfinderLayout.side * pathfinderLayout.side,
  vocabSize: PATHFINDER_VOCAB_SIZE,
  numClasses: 2,
  pair: false,
  padId: 0,
  zeroValueId: PATHFINDER_TOKEN_OFFSET,
  splits: ['train', 'val', 'test'],
  sourceFolders: [pathfinderLayout.folder],
  vocabVersion: PATHFINDER_VOCAB_VERSION,
  sourceHint:
    'the pathfinder32/ folder of the LRA release (lra_release.gz from gs://long-range-arena/lra_release), or generate it with --generate',
  read: (source, split, opts) => readPathfinderSplit(pathfinderLayout, source, split, opts),
  readInto: (source, split, sink, opts) => readPathfinderSplitInto(pathfinderLayout, source, split, sink, opts),
  generator: makePathfinderGenerator(pathfinderLayout),
};
