// Named parameters owned by one store. Initial values are drawn in JavaScript from a generator
// seeded by (store seed, parameter name): identical on every backend, and adding a parameter never
// shifts the values of another. tf.layers is not used: its models leak and reuse dropout seeds.
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { sizeOf, type Initializer } from './initializers.js';

export interface ParamOptions {
  /**
   * Whether weight decay applies; the optimiser reads it. Default true: LRA's flax Adam decays
   * every parameter, biases and norms included. A mixer sets false where its paper exempts a
   * parameter (state-space and implicit-filter parameters, for example).
   */
  decay?: boolean;
  /**
   * A peak learning rate of its own (the run's schedule shape still applies): S4D's and Hyena's
   * papers train their state-space and filter parameters at 1e-3 whatever the model's rate.
   */
  lr?: number;
}

export interface Param {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly decay: boolean;
  /** Own base learning rate, or undefined to follow the run's. */
  readonly lr?: number;
}

export type ParamSnapshot = Record<string, { shape: number[]; values: Float32Array }>;

/**
 * A value a layer keeps between steps that training does not differentiate (batch norm's running
 * mean and variance): the optimiser never sees it, but snapshots and checkpoints carry it.
 */
export interface StateEntry {
  readonly name: string;
  readonly variable: tf.Variable;
}

/** Where layers create their parameters: a store, or a view of it that prefixes names. */
export interface ParamScope {
  /** The prefix this view adds ("" for the store itself, else "layer0/mixer/"). */
  readonly prefix: string;
  add(name: string, shape: readonly number[], init: Initializer, options?: ParamOptions): tf.Variable;
  scope(name: string): ParamScope;
  /**
   * Adds non-trained state (see StateEntry) in the same name space as the parameters. Optional:
   * views that only forward parameters (a mixer's decay rules) may leave it out, and a layer that
   * needs state refuses such a scope.
   */
  addState?(name: string, shape: readonly number[], init: Initializer): tf.Variable;
}

const NAME_PART = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

function checkName(name: string): void {
  if (!NAME_PART.test(name)) {
    throw new Error(
      `invalid parameter name "${name}": use letters, digits, "_", "-", "." in parts separated by single "/"`,
    );
  }
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

class ScopedView implements ParamScope {
  constructor(
    private readonly store: ParamStore,
    readonly prefix: string,
  ) {}

  add(name: string, shape: readonly number[], init: Initializer, options?: ParamOptions): tf.Variable {
    checkName(name);
    return this.store.add(this.prefix + name, shape, init, options);
  }

  scope(name: string): ParamScope {
    checkName(name);
    return new ScopedView(this.store, `${this.prefix}${name}/`);
  }

  addState(name: string, shape: readonly number[], init: Initializer): tf.Variable {
    checkName(name);
    return this.store.addState(this.prefix + name, shape, init);
  }
}

export class ParamStore implements ParamScope {
  readonly prefix = '';
  private readonly params = new Map<string, Param>();
  private readonly state = new Map<string, StateEntry>();
  private disposed = false;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`ParamStore seed must be an integer, got ${seed}`);
  }

  add(name: string, shape: readonly number[], init: Initializer, options: ParamOptions = {}): tf.Variable {
    if (this.disposed) throw new Error(`cannot add parameter "${name}": the store was disposed`);
    const variable = this.newVariable(name, shape, init, true);
    this.params.set(name, { name, variable, decay: options.decay ?? true, ...(options.lr !== undefined ? { lr: options.lr } : {}) });
    return variable;
  }

  /** Non-trained state (StateEntry): in snapshots, not in variables() or count(). */
  addState(name: string, shape: readonly number[], init: Initializer): tf.Variable {
    if (this.disposed) throw new Error(`cannot add state "${name}": the store was disposed`);
    const variable = this.newVariable(name, shape, init, false);
    this.state.set(name, { name, variable });
    return variable;
  }

  private newVariable(name: string, shape: readonly number[], init: Initializer, trainable: boolean): tf.Variable {
    checkName(name);
    if (this.params.has(name) || this.state.has(name)) throw new Error(`parameter "${name}" already exists`);
    if (!shape.every((n) => Number.isInteger(n) && n > 0)) {
      throw new Error(`parameter "${name}": shape ${formatShape(shape)} must hold positive integers`);
    }
    const random = seedrandom.alea(`${this.seed}/${name}`);
    const values = init.sample(shape, random);
    if (values.length !== sizeOf(shape)) {
      throw new Error(`initialiser ${init.description} gave ${values.length} values for shape ${formatShape(shape)}`);
    }
    const initial = tf.tensor(values, [...shape], 'float32');
    // No tfjs name: tfjs names are global, and two stores may hold the same parameter names.
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    return variable;
  }

  scope(name: string): ParamScope {
    checkName(name);
    return new ScopedView(this, `${name}/`);
  }

  get(name: string): tf.Variable {
    const param = this.params.get(name);
    if (!param) throw new Error(`unknown parameter "${name}"; known: ${[...this.params.keys()].join(', ')}`);
    return param.variable;
  }

  /** The trained parameters, in the order they were added. */
  variables(): Param[] {
    return [...this.params.values()];
  }

  /** The non-trained state, in the order it was added. */
  states(): StateEntry[] {
    return [...this.state.values()];
  }

  /** Number of scalar values over all parameters. */
  count(): number {
    let total = 0;
    for (const { variable } of this.params.values()) total += variable.size;
    return total;
  }

  /** Parameters and state by name. */
  snapshot(): ParamSnapshot {
    const out: ParamSnapshot = {};
    for (const { name, variable } of this.entries()) {
      // dataSync may hand out the backend's own buffer (cpu): copy it.
      out[name] = { shape: [...variable.shape], values: new Float32Array(variable.dataSync()) };
    }
    return out;
  }

  /** Sets every parameter to the snapshot's values; checks everything before changing anything. */
  restore(snapshot: ParamSnapshot): void {
    const problems: string[] = [];
    const all = new Map(this.entries().map((e) => [e.name, e]));
    for (const name of all.keys()) {
      if (!(name in snapshot)) problems.push(`missing parameter "${name}"`);
    }
    for (const [name, entry] of Object.entries(snapshot)) {
      const param = all.get(name);
      if (!param) {
        problems.push(`unexpected parameter "${name}" (not in this model)`);
        continue;
      }
      const expected = param.variable.shape;
      if (entry.shape.length !== expected.length || entry.shape.some((n, i) => n !== expected[i])) {
        problems.push(
          `parameter "${name}" has shape ${formatShape(entry.shape)} in the snapshot but ${formatShape(expected)} in the model`,
        );
      } else if (entry.values.length !== param.variable.size) {
        problems.push(`parameter "${name}" has ${entry.values.length} values for shape ${formatShape(expected)}`);
      }
    }
    if (problems.length > 0) throw new Error(`cannot restore parameters: ${problems.join('; ')}`);
    for (const [name, entry] of Object.entries(snapshot)) {
      const param = all.get(name)!;
      const value = tf.tensor(entry.values, entry.shape, 'float32');
      param.variable.assign(value);
      value.dispose();
    }
  }

  private entries(): Array<{ name: string; variable: tf.Variable }> {
    return [...this.params.values(), ...this.state.values()];
  }

  dispose(): void {
    for (const { variable } of this.entries()) variable.dispose();
    this.params.clear();
    this.state.clear();
    this.disposed = true;
  }
}
