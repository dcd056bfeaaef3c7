import type { TokenColumn } from './tokens/token-column.js';

export type SplitName = 'train' | 'val' | 'test';

export const splitNames: readonly SplitName[] = ['train', 'val', 'test'];

/**
 * One split of a task as token ids, ready for batching. Examples are stored unpadded and already
 * truncated to `seqLen`: example i's ids are `documents.row(i)` (batching copies them with
 * `documents.copyRow`). Pair tasks (retrieval) carry their second documents in `documents2`.
 * A split read from the cache is a view of the cache files' bytes (ids stored in one byte
 * where the vocabulary allows), in as many chunks as it has record batches.
 */
export interface SplitData {
  task: string;
  split: SplitName;
  count: number;
  seqLen: number;
  documents: TokenColumn;
  documents2?: TokenColumn | undefined;
  labels: Int32Array;
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

/** Where a reader puts the rows it reads: a split built in memory, or shard files being written. */
export interface SplitSink {
  readonly task: string;
  readonly split: SplitName;
  /** Rows are truncated to this many ids as they are added. */
  readonly seqLen: number;
  /** Rows added so far. */
  readonly count: number;
  readonly skipped: number;
  /** Adds one example (the arrays are copied); await it: a sink that writes files flushes here. */
  add(tokens: Int32Array, label: number, tokens2?: Int32Array): void | Promise<void>;
  /** Counts a malformed row dropped under `skipBad`. */
  skip(): void;
}

/** What a reader says beside the rows it put in a sink. */
export interface ReadReport {
  /** The source files read, so that preparation can record their checksums. */
  sources?: string[] | undefined;
  /** Examples the official pipeline drops by design (Pathfinder's empty images). */
  dropped?: number | undefined;
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
  /**
   * The token id of the source value 0 (grey level 0) for image tasks, whose ids are value + 1.
   * LRA's models treat value 0 as padding (transformer.py masks inputs == 0); with the config's
   * data.zeroIsPadding the model's mask does the same. Absent where no value maps to an id of its own.
   */
  zeroValueId?: number;
  splits: readonly SplitName[];
  /** The task's folder(s) inside the release root, e.g. ['listops-1000']. */
  sourceFolders: readonly string[];
  /** Changes whenever the token mapping changes, so caches made with another one are rebuilt. */
  vocabVersion: string;
  /** Where the official data comes from, for error messages. */
  sourceHint: string;
  /** Reads one split from `source` (the release root or the task's own folder in it) into memory. */
  read(source: string, split: SplitName, opts?: ReadOptions): Promise<SplitData>;
  /**
   * Reads one split row by row into `sink` (whose seqLen truncates): preparation streams rows
   * into shard files this way, so a split never has to fit in memory.
   */
  readInto(source: string, split: SplitName, sink: SplitSink, opts?: ReadOptions): Promise<ReadReport>;
  generator?: TaskGenerator<object>;
}
