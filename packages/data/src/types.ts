export type SplitName = 'train' | 'val' | 'test';

export const splitNames: readonly SplitName[] = ['train', 'val', 'test'];

/**
 * One split of a task as token ids, ready for batching. Examples are stored flat and unpadded:
 * example i is `tokens.subarray(offsets[i], offsets[i + 1])`, already truncated to `seqLen`.
 * Pair tasks (retrieval) carry their second document in `offsets2`/`tokens2` the same way.
 */
export interface SplitData {
  task: string;
  split: SplitName;
  count: number;
  seqLen: number;
  /** count + 1 entries; offsets[0] = 0, offsets[count] = tokens.length. */
  offsets: Int32Array;
  tokens: Int32Array;
  labels: Int32Array;
  offsets2?: Int32Array;
  tokens2?: Int32Array;
  /** Malformed rows dropped because `skipBad` was set (0 otherwise). */
  skipped: number;
  /**
   * Examples the official pipeline itself drops, not errors (Pathfinder's empty images): counted
   * so the manifest can say how many.
   */
  dropped?: number | undefined;
  /**
   * The source files this split was read from, set by readers (not stored in the cache), so that
   * preparation can record their checksums.
   */
  sources?: string[] | undefined;
}

export interface ReadOptions {
  /** Skip malformed rows and count them in `SplitData.skipped` instead of throwing. */
  skipBad?: boolean | undefined;
  /** Truncation length; the task's own `seqLen` when absent. */
  seqLen?: number | undefined;
  /** Reading progress in bytes of source read so far, of `total` bytes. */
  onProgress?: ((done: number, total?: number) => void) | undefined;
}

/** The user-facing form of generator options: every field optional, nested objects partial. */
export type GeneratorInput<O> = {
  [K in keyof O]?: (O[K] extends readonly unknown[] ? O[K] : O[K] extends object ? Partial<O[K]> : O[K]) | undefined;
};

export interface GeneratorHooks {
  /** Examples accepted so far, of `total` to make. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * Writes a task's files in the OFFICIAL release format, so that whatever it makes is read back
 * (and so checked) by the same reader as the release.
 */
export interface TaskGenerator<O extends object = object> {
  readonly defaults: O;
  /** Named option sets (`official`, `small`, `tiny`, ...) to pass to `generate`. */
  readonly presets: Readonly<Record<string, GeneratorInput<O>>>;
  /** Fills in defaults and validates; unknown keys and out-of-range values throw. */
  resolveOptions(input?: GeneratorInput<O>): O;
  generate(
    outDir: string,
    opts?: GeneratorInput<O>,
    hooks?: GeneratorHooks,
  ): Promise<{ files: string[]; options: O }>;
}

export interface TaskSpec<N extends string = string> {
  name: N;
  title: string;
  /** Truncation length of the LRA setting. */
  seqLen: number;
  vocabSize: number;
  numClasses: number;
  /** Two documents per example (retrieval). */
  pair: boolean;
  padId: 0;
  splits: readonly SplitName[];
  /** The task's folder(s) inside the release root, e.g. ['listops-1000']. */
  sourceFolders: readonly string[];
  /** Changes whenever the token mapping changes, so caches made with another one are rebuilt. */
  vocabVersion: string;
  /** Where the official data comes from, for error messages. */
  sourceHint: string;
  /** Reads one split from `source`: the release root or the task's own folder in it. */
  read(source: string, split: SplitName, opts?: ReadOptions): Promise<SplitData>;
  generator?: TaskGenerator<object>;
}
