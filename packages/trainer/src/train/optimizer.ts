import * as tf from '@tensorflow/tfjs';
import { fusedAdamW } from '@lra/models';

export interface OptimizedParam {
  name: string;
  variable: tf.Variable;
  /** Whether weight decay applies (state-space parameters, for one, opt out). */
  decay: boolean;
  /** A peak learning rate of its own; the update scales it by the schedule's factor. */
  lr?: number;
}

export interface AdamSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  gradClipNorm: number | null;
}

/**
 * Adam with decoupled weight decay scaled by the learning rate, as LRA's optimizer (flax
 * optim.Adam with weight_decay): p <- p - lr * mhat / (sqrt(vhat) + eps) - lr * wd * p.
 * Written here rather than taken from tf.train because that one has no weight decay and its
 * state cannot be saved and restored exactly, which resuming a run needs.
 */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Updates made so far. */
  step = 0;

  constructor(
    private readonly params: readonly OptimizedParam[],
    private readonly settings: AdamSettings,
  ) {
    for (const p of params) {
      // tidy releases the zeros once the variables hold their own reference to the data.
      this.m.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
      this.v.set(p.name, tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    }
  }

  /**
   * Applies one update. `grads` maps parameter names to gradients (missing = no gradient); `lr` is
   * the run's rate at this step, and `scheduleFactor` (lr / the schedule's peak) rescales
   * parameters that carry a peak rate of their own.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, scheduleFactor = 1): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, gradClipNorm } = this.settings;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      const scale = gradClipNorm === null ? null : clipScale([...grads.values()], gradClipNorm);
      for (const p of this.params) {
        let g = grads.get(p.name);
        if (!g) continue;
        // One tidy per parameter: the update's temporaries never outlive it, so the step's
        // peak memory grows by a few copies of the largest parameter, not of all of them.
        tf.tidy(() => {
          const m = this.m.get(p.name)!;
          const v = this.v.get(p.name)!;
          const rate = p.lr === undefined ? lr : p.lr * scheduleFactor;
          // One kernel for the whole update where the backend has it (cpu, wasm).
          const fused = fusedAdamW(p.variable, g!, m, v, scale, {
            beta1, beta2, correction1: c1, correction2: c2, eps, rate, weightDecay: weightDecay > 0 && p.decay ? weightDecay : 0,
          });
          if (fused) {
            const [param, mNext, vNext] = fused;
            m.assign(mNext);
            v.assign(vNext);
            p.variable.assign(param);
            return;
          }
          if (scale) g = tf.mul(g!, scale);
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(g!, 1 - beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g!), 1 - beta2)));
          let update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
          if (weightDecay > 0 && p.decay) update = tf.add(update, tf.mul(p.variable, weightDecay));
          p.variable.assign(tf.sub(p.variable, tf.mul(update, rate)));
        });
      }
    });
  }

  /** The moment estimates, for checkpoints. */
  state(): Array<{ key: string; tensor: tf.Variable }> {
    return this.params.flatMap((p) => [
      { key: `adam.m/${p.name}`, tensor: this.m.get(p.name)! },
      { key: `adam.v/${p.name}`, tensor: this.v.get(p.name)! },
    ]);
  }

  restore(step: number, values: ReadonlyMap<string, Float32Array>): void {
    for (const { key, tensor } of this.state()) {
      const data = values.get(key);
      if (!data) throw new Error(`checkpoint has no optimizer state "${key}"`);
      if (data.length !== tensor.size) throw new Error(`optimizer state "${key}" has ${data.length} values, expected ${tensor.size}`);
      tf.tidy(() => tensor.assign(tf.tensor(data, tensor.shape, 'float32')));
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** min(1, maxNorm / globalNorm) as a scalar tensor: no read-back to the host on the hot path. */
function clipScale(grads: tf.Tensor[], maxNorm: number): tf.Scalar {
  const squares = grads.map((g) => tf.sum(tf.square(g)));
  const norm = tf.sqrt(tf.addN(squares));
  return tf.div(maxNorm, tf.maximum(norm, maxNorm)) as tf.Scalar;
}
