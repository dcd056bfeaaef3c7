import type { TaskSpec } from '../types.js';
import { makePathfinderGenerator } from './pathfinder/generator.js';
import { PATHFINDER_TOKEN_OFFSET, PATHFINDER_VOCAB_SIZE, PATHFINDER_VOCAB_VERSION, pathxLayout, readPathfinderSplit, readPathfinderSplitInto } from './pathfinder/reader.js';

/**
 * Path-X: Pathfinder at 128x128, read as 16,384 pixels (grey level + 1). The release's
 * pathfinder128/curv_contour_length_14.
 */
export const pathx: TaskSpec<'pathx'> = {
  name: 'pathx',
  title: 'Path-X 128',
  seqLen: pathxLayout.side * pathxLayout.side,
  vocabSize: PATHFINDER_VOCAB_SIZE,
  numClasses: 2,
  pair: false,
  padId: 0,
  zeroValueId: PATHFINDER_TOKEN_OFFSET,
  splits: ['train', 'val', 'test'],
  sourceFolders: [pathxLayout.folder],
  vocabVersion: PATHFINDER_VOCAB_VERSION,
  sourceHint:
    'the pathfinder128/ folder of the LRA release (lra_release.gz from gs://long-range-arena/lra_release), or generate it with --generate',
  read: (source, split, opts) => readPathfinderSplit(pathxLayout, source, split, opts),
  readInto: (source, split, sink, opts) => readPathfinderSplitInto(pathxLayout, source, split, sink, opts),
  generator: makePathfinderGenerator(pathxLayout),
};
