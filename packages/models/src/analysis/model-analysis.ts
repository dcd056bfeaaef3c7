// Analysis of a trained classifier on real inputs, layer by layer: each block's mixer is caught
// with the exact input it mixes (ForwardContext.observeMixer), asked what it learned
// (Mixer.inspect) and probed through its Jacobian. Batches accumulate; summary() gives plain,
// JSON-ready numbers.
import * as tf from '@tensorflow/tfjs';
import type { Classifier, ClassifierInputs } from '../encoder/classifier.js';
import { inferenceContext, type ForwardContext } from '../nn/context.js';
import type { Mixer } from '../mixers/types.js';
import { AttentionAccumulator, type AttentionSummary } from './attention-stats.js';
import {
  AdaptiveFilterAccumulator,
  DctEnergyAccumulator,
  summariseFilter,
  summariseImpulseResponse,
  type AdaptiveFilterSummary,
  type DctEnergySummary,
  type FilterSummary,
  type ImpulseResponseSummary,
} from './filter-stats.js';
import { jacobianColumns, summariseColumns, type ColumnRequest, type LinearResponseSummary, type ResponseMethod } from './linear-response.js';

export interface LayerAnalysis {
  layer: number;
  inputLength: number;
  filters: FilterSummary[];
  adaptiveFilters: AdaptiveFilterSummary[];
  impulseResponses: ImpulseResponseSummary[];
  attention: AttentionSummary | null;
  dctEnergy: DctEnergySummary | null;
  linearResponse: LinearResponseSummary | null;
}

export interface ModelAnalysis {
  examples: number;
  batches: number;
  /** Accuracy on the analysed inputs (when labels were given). */
  accuracy: number | null;
  layers: LayerAnalysis[];
}

export interface ModelAnalysisOptions {
  /** Examples (from the first batch) whose Jacobian columns are taken; 0 skips the linear response. */
  responseExamples?: number;
  /** Impulse positions per example, spread over its real tokens (at k / (count + 1) of its length). */
  positionsPerExample?: number;
  method?: 'auto' | ResponseMethod;
  directionsPerPass?: number;
  /** Seed of the inference contexts (mixers that draw at inference). */
  seed?: number;
}

interface Captured {
  mixer: Mixer;
  input: tf.Tensor3D;
  mask: tf.Tensor2D | null;
}

interface LayerState {
  inputLength: number;
  filters: FilterSummary[] | null;
  impulseResponses: ImpulseResponseSummary[] | null;
  adaptive: Map<string, AdaptiveFilterAccumulator>;
  attention: AttentionAccumulator | null;
  dct: DctEnergyAccumulator | null;
  response: LinearResponseSummary | null;
}

/** Impulse positions for one example: `count` positions spread over its `real` tokens. */
export function impulsePositions(real: number, count: number): number[] {
  const positions = new Set<number>();
  for (let k = 1; k <= count; k++) positions.add(Math.min(real - 1, Math.max(0, Math.round((k * real) / (count + 1)))));
  return [...positions];
}

export class ModelAnalyzer {
  private readonly layers: LayerState[] = [];
  private examples = 0;
  private batches = 0;
  private correct = 0;
  private labelled = 0;
  private readonly options: Required<Omit<ModelAnalysisOptions, 'directionsPerPass'>> & { directionsPerPass?: number };

  constructor(private readonly model: Classifier, options: ModelAnalysisOptions = {}) {
    this.options = {
      responseExamples: options.responseExamples ?? 2,
      positionsPerExample: options.positionsPerExample ?? 3,
      method: options.method ?? 'auto',
      seed: options.seed ?? 1,
      ...(options.directionsPerPass !== undefined ? { directionsPerPass: options.directionsPerPass } : {}),
    };
  }

  private context = (): ForwardContext => inferenceContext(this.options.seed);

  /** Runs one batch through the model and every layer's probes; labels (int32 [B]) count accuracy. */
  addBatch(inputs: ClassifierInputs, labels?: Int32Array): void {
    const captured: Captured[] = [];
    const observing: ForwardContext = {
      ...this.context(),
      observeMixer: (mixer, input, mask) => {
        captured.push({ mixer, input: tf.keep(tf.clone(input)), mask: mask ? tf.keep(tf.clone(mask)) : null });
      },
    };
    try {
      const logits = this.model.logits(inputs, observing);
      const predicted = tf.tidy(() => tf.argMax(logits, 1));
      const classes = predicted.dataSync();
      tf.dispose([logits, predicted]);
      if (labels) {
        for (let b = 0; b < classes.length; b++) if (classes[b] === labels[b]) this.correct += 1;
        this.labelled += classes.length;
      }
      this.examples += inputs.tokens.shape[0];
      captured.forEach((c, layer) => this.addLayer(layer, c, this.batches === 0));
      this.batches += 1;
    } finally {
      for (const c of captured) tf.dispose(c.mask ? [c.input, c.mask] : [c.input]);
    }
  }

  private addLayer(layer: number, c: Captured, first: boolean): void {
    let state = this.layers[layer];
    if (!state) {
      state = { inputLength: c.input.shape[1], filters: null, impulseResponses: null, adaptive: new Map(), attention: null, dct: null, response: null };
      this.layers[layer] = state;
    }
    const inspection = c.mixer.inspect?.(c.input, c.mask, this.context()) ?? {};
    // Parameters do not change between batches: their views are summarised once.
    if (first) {
      state.filters = (inspection.filters ?? []).map(summariseFilter);
      state.impulseResponses = (inspection.impulseResponses ?? []).map(summariseImpulseResponse);
    }
    for (const view of inspection.adaptiveFilters ?? []) {
      let acc = state.adaptive.get(view.name);
      if (!acc) state.adaptive.set(view.name, (acc = new AdaptiveFilterAccumulator()));
      acc.add(view);
    }
    if (inspection.attention) (state.attention ??= new AttentionAccumulator()).add(inspection.attention);
    if (inspection.dctEnergy) (state.dct ??= new DctEnergyAccumulator()).add(inspection.dctEnergy);
    if (first && this.options.responseExamples > 0) state.response = this.linearResponse(c);
  }

  private linearResponse(c: Captured): LinearResponseSummary {
    const [batch, length] = c.input.shape;
    const masks = c.mask ? (c.mask.dataSync() as Float32Array).slice() : null;
    const requests: ColumnRequest[] = [];
    for (let example = 0; example < Math.min(batch, this.options.responseExamples); example++) {
      const real = masks ? masks.subarray(example * length, (example + 1) * length).reduce((s, v) => s + (v > 0 ? 1 : 0), 0) : length;
      for (const position of impulsePositions(Math.max(1, real), this.options.positionsPerExample)) requests.push({ example, position });
    }
    const columns = jacobianColumns(c.mixer, c.input, c.mask, requests, {
      context: this.context,
      method: this.options.method,
      ...(this.options.directionsPerPass !== undefined ? { directionsPerPass: this.options.directionsPerPass } : {}),
    });
    const sameLength = columns.outputLength === length;
    return summariseColumns(columns, masks && sameLength ? (example) => masks.subarray(example * length, (example + 1) * length) : null);
  }

  summary(): ModelAnalysis {
    return {
      examples: this.examples,
      batches: this.batches,
      accuracy: this.labelled > 0 ? this.correct / this.labelled : null,
      layers: this.layers.map((s, layer) => ({
        layer,
        inputLength: s.inputLength,
        filters: s.filters ?? [],
        adaptiveFilters: [...s.adaptive.values()].map((a) => a.summary()),
        impulseResponses: s.impulseResponses ?? [],
        attention: s.attention ? s.attention.summary() : null,
        dctEnergy: s.dct ? s.dct.summary() : null,
        linearResponse: s.response,
      })),
    };
  }
}
