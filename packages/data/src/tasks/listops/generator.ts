import { createHash } from 'node:crypto';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { AtomicFileWriter } from '../../io/atomic.js';
import type { GeneratorHooks, GeneratorInput, SplitName, TaskGenerator } from '../../types.js';
import { LISTOPS_HEADER, listopsFileName } from './reader.js';
import { LISTOPS_DIGIT_0, LISTOPS_END, LISTOPS_MIN, applyListOpsOperator, listopsOperators } from './vocab.js';

export interface ListOpsGeneratorOptions {
  seed: number | string;
  counts: { train: number; val: number; test: number };
  /** Trees are kept when minLength < length < maxLength (strict), length counted in tokens. */
  minLength: number;
  maxLength: number;
  /** The root is at depth 1; a node at maxDepth is always a digit. */
  maxDepth: number;
  /** An operator takes 2..maxArgs arguments. */
  maxArgs: number;
}

/** LRA's settings (lra_benchmarks/data/listops.py). */
export const listopsGeneratorDefaults: ListOpsGeneratorOptions = {
  seed: 1,
  counts: { train: 96_000, val: 2_000, test: 2_000 },
  minLength: 500,
  maxLength: 2000,
  maxDepth: 10,
  maxArgs: 10,
};

/** Same grammar and operators, shorter expressions, for quick runs. */
export const listopsGeneratorPresets: Readonly<Record<string, GeneratorInput<ListOpsGeneratorOptions>>> = {
  official: {},
  small: { minLength: 100, maxLength: 500, counts: { train: 20_000, val: 2_000, test: 2_000 } },
  tiny: { minLength: 20, maxLength: 128, counts: { train: 10_000, val: 1_000, test: 1_000 } },
};

/** A node below maxDepth is an operator when its uniform draw r <= 0.25 (LRA: digit if r > VALUE_P). */
const VALUE_P = 0.25;
const SPACE = 32;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const DIGIT_ZERO = 48;
const TAB = 9;
const CLOSE_OPERATOR = Buffer.from(' ] )', 'latin1');
const OPERATOR_NAMES = listopsOperators.map((name) => Buffer.from(name, 'latin1'));
const ROW_END = Buffer.from('\r\n', 'latin1');
const ROW_BUFFER_BYTES = 1 << 22;

/**
 * Consecutive samples without a new kept tree before the options are declared infeasible (too
 * few distinct trees of the asked lengths). LRA's settings keep about one sample in twelve.
 */
const MAX_FRUITLESS_SAMPLES = 1_000_000;

const optionKeys = new Set(Object.keys(listopsGeneratorDefaults));
const countKeys = new Set(Object.keys(listopsGeneratorDefaults.counts));

function requireInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`listops generator: ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The longest tree the depth and arity limits allow (every node an operator with maxArgs). */
function longestPossibleTree(maxDepth: number, maxArgs: number): number {
  let length = 1;
  for (let depth = maxDepth - 1; depth >= 1 && length < Number.MAX_SAFE_INTEGER / maxArgs; depth--) {
    length = 2 + maxArgs * length;
  }
  return length;
}

export function resolveListOpsGeneratorOptions(input: GeneratorInput<ListOpsGeneratorOptions> = {}): ListOpsGeneratorOptions {
  for (const key of Object.keys(input)) {
    if (!optionKeys.has(key)) throw new Error(`listops generator: unknown option "${key}"; known: ${[...optionKeys].join(', ')}`);
  }
  const countsInput = input.counts ?? {};
  for (const key of Object.keys(countsInput)) {
    if (!countKeys.has(key)) throw new Error(`listops generator: unknown split "${key}" in counts; known: train, val, test`);
  }
  const d = listopsGeneratorDefaults;
  const seed = input.seed ?? d.seed;
  if (typeof seed !== 'string' && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new Error(`listops generator: seed must be a number or a string, got ${JSON.stringify(seed)}`);
  }
  const counts = {
    train: requireInteger('counts.train', countsInput.train ?? d.counts.train, 1),
    val: requireInteger('counts.val', countsInput.val ?? d.counts.val, 1),
    test: requireInteger('counts.test', countsInput.test ?? d.counts.test, 1),
  };
  const maxDepth = requireInteger('maxDepth', input.maxDepth ?? d.maxDepth, 1, 64);
  const maxArgs = requireInteger('maxArgs', input.maxArgs ?? d.maxArgs, 2, 255);
  const minLength = requireInteger('minLength', input.minLength ?? d.minLength, 0);
  const maxLength = requireInteger('maxLength', input.maxLength ?? d.maxLength, minLength + 2);
  const longest = longestPossibleTree(maxDepth, maxArgs);
  if (longest <= minLength) {
    throw new Error(
      `listops generator: no tree is longer than minLength ${minLength} with maxDepth ${maxDepth} and maxArgs ${maxArgs} (longest: ${longest})`,
    );
  }
  return { seed, counts, minLength, maxLength, maxDepth, maxArgs };
}

/**
 * Samples trees as LRA's generate_tree does (a node below maxDepth is an operator with
 * probability 0.25, with 2..maxArgs children, else a digit; the operator is drawn after its
 * children) into prefix token ids with each operator's arity, evaluating them on the way. A tree
 * that reaches maxLength tokens is abandoned at once: it would be rejected anyway, and the
 * trees that are kept have exactly the distribution of LRA's (length-filtered) ones.
 */
export class ListOpsTreeSampler {
  readonly tokens: Uint8Array;
  readonly arity: Uint8Array;
  length = 0;
  value = -1;
  private readonly args: Int32Array[];

  constructor(
    private readonly opts: ListOpsGeneratorOptions,
    private readonly random: () => number,
  ) {
    this.tokens = new Uint8Array(opts.maxLength);
    this.arity = new Uint8Array(opts.maxLength);
    this.args = Array.from({ length: opts.maxDepth + 1 }, () => new Int32Array(opts.maxArgs));
  }

  /** Draws one tree; true when it is kept (minLength < length < maxLength). */
  sample(): boolean {
    this.length = 0;
    this.value = this.node(1);
    return this.value >= 0 && this.length > this.opts.minLength;
  }

  /** The node's value, or -1 once the tree has grown to maxLength tokens. */
  private node(depth: number): number {
    const { maxDepth, maxArgs, maxLength } = this.opts;
    const r = depth < maxDepth ? this.random() : 1;
    if (r <= VALUE_P) {
      const count = 2 + Math.floor(this.random() * (maxArgs - 1));
      const opAt = this.length++;
      if (this.length >= maxLength) return -1;
      const args = this.args[depth]!;
      for (let i = 0; i < count; i++) {
        const v = this.node(depth + 1);
        if (v < 0) return -1;
        args[i] = v;
      }
      const op = LISTOPS_MIN + Math.floor(this.random() * 4);
      this.tokens[opAt] = op;
      this.arity[opAt] = count;
      this.tokens[this.length++] = LISTOPS_END;
      if (this.length >= maxLength) return -1;
      return applyListOpsOperator(op, args, 0, count);
    }
    const digit = Math.floor(this.random() * 10);
    this.tokens[this.length++] = LISTOPS_DIGIT_0 + digit;
    return this.length >= maxLength ? -1 : digit;
  }

  /** The longest `format` output a tree within these limits can have, in bytes. */
  get maxFormattedBytes(): number {
    // Per token at most: a space, k + 1 "( ", a 4-byte operator name, and a closing " )".
    return this.opts.maxLength * (2 * this.opts.maxArgs + 10);
  }

  /**
   * Writes the last tree as LRA prints it (ASCII) into `out` at `at` and returns the end. An
   * operator with k arguments is a left-nested chain of pairs, `( ( ( [MAX a ) b ) ] )` for
   * k = 2: each argument is preceded by a space and followed by " )", the X by " ] )".
   */
  formatInto(out: Uint8Array, at: number): number {
    const { tokens, arity, length } = this;
    let o = at;
    let depth = 0;
    for (let i = 0; i < length; i++) {
      const id = tokens[i]!;
      if (id === LISTOPS_END) {
        out.set(CLOSE_OPERATOR, o);
        o += CLOSE_OPERATOR.length;
        depth--;
      } else {
        if (depth > 0) out[o++] = SPACE;
        if (id < LISTOPS_MIN) {
          out[o++] = DIGIT_ZERO + id - LISTOPS_DIGIT_0;
        } else {
          for (let k = arity[i]!; k >= 0; k--) {
            out[o++] = OPEN_PAREN;
            out[o++] = SPACE;
          }
          const name = OPERATOR_NAMES[id - LISTOPS_MIN]!;
          out.set(name, o);
          o += name.length;
          depth++;
          continue;
        }
      }
      if (depth > 0) {
        out[o++] = SPACE;
        out[o++] = CLOSE_PAREN;
      }
    }
    return o;
  }

  /** The last tree as LRA prints it. */
  format(): string {
    const out = new Uint8Array(this.maxFormattedBytes);
    return Buffer.from(out.buffer, 0, this.formatInto(out, 0)).toString('latin1');
  }
}

/**
 * Generates ListOps in the official format: `basic_{train,val,test}.tsv` with the header
 * `Source<TAB>Target` and CRLF line ends (Python's csv.writer, which LRA used). Trees are
 * de-duplicated across all splits; kept trees fill test, then val, then train, so the test set of
 * a seed stays the same when only the training count changes.
 */
export async function generateListOps(
  outDir: string,
  input: GeneratorInput<ListOpsGeneratorOptions> = {},
  hooks: GeneratorHooks = {},
): Promise<{ files: string[]; options: ListOpsGeneratorOptions }> {
  const options = resolveListOpsGeneratorOptions(input);
  const sampler = new ListOpsTreeSampler(options, seedrandom.alea(`listops:${String(options.seed)}`));
  const seen = new Set<string>();
  const total = options.counts.train + options.counts.val + options.counts.test;
  const order: SplitName[] = ['test', 'val', 'train'];
  const writers: AtomicFileWriter[] = [];
  const rows = new Uint8Array(ROW_BUFFER_BYTES + sampler.maxFormattedBytes + 8);
  let done = 0;
  try {
    for (const split of order) {
      const writer = await AtomicFileWriter.open(join(outDir, listopsFileName(split)));
      writers.push(writer);
      await writer.write(`${LISTOPS_HEADER}\r\n`);
      let filled = 0;
      for (let made = 0; made < options.counts[split]; made++) {
        let fruitless = 0;
        for (;;) {
          if (sampler.sample()) {
            const key = createHash('sha1').update(sampler.tokens.subarray(0, sampler.length)).digest('base64');
            if (!seen.has(key)) {
              seen.add(key);
              break;
            }
          }
          if (++fruitless >= MAX_FRUITLESS_SAMPLES) {
            throw new Error(
              `listops generator: ${fruitless} samples in a row gave no new tree of ${options.minLength} < length < ${options.maxLength} after ${done}; too few distinct trees for the counts asked`,
            );
          }
        }
        filled = sampler.formatInto(rows, filled);
        rows[filled++] = TAB;
        rows[filled++] = DIGIT_ZERO + sampler.value;
        rows.set(ROW_END, filled);
        filled += ROW_END.length;
        done++;
        if (filled >= ROW_BUFFER_BYTES) {
          await writer.write(rows.slice(0, filled)); // a copy: the writer keeps what it is given
          filled = 0;
          hooks.onProgress?.(done, total);
        }
      }
      await writer.write(rows.slice(0, filled));
      hooks.onProgress?.(done, total);
    }
    for (const writer of writers) await writer.commit();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    throw err;
  }
  return { files: (['train', 'val', 'test'] as const).map((split) => join(outDir, listopsFileName(split))), options };
}

export const listopsGenerator: TaskGenerator<ListOpsGeneratorOptions> = {
  defaults: listopsGeneratorDefaults,
  presets: listopsGeneratorPresets,
  resolveOptions: resolveListOpsGeneratorOptions,
  generate: generateListOps,
};
