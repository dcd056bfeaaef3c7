/**
 * Validation and test examples of each task's official release (docs/lra.md): what an LRA run
 * evaluates, for its ETA. Text validates on its test split; Pathfinder and Path-X split 200,000
 * images 80/10/10.
 */
export const OFFICIAL_EVAL_SIZES: Readonly<Record<string, { val: number; test: number }>> = {
  listops: { val: 2000, test: 2000 },
  text: { val: 25000, test: 25000 },
  retrieval: { val: 18090, test: 17437 },
  image: { val: 5000, test: 10000 },
  pathfinder: { val: 20000, test: 20000 },
  pathx: { val: 20000, test: 20000 },
};
