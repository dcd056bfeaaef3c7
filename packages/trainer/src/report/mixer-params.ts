import { getTask } from '@lra/data';
import { describeClassifier, listMixers, type MixerSummary } from '@lra/models';
import { resolveConfig } from '../config/resolve.js';
import { classifierConfig } from '../train/model-config.js';

export interface MixerForTask extends MixerSummary {
  task: string;
  preset: string;
  /** The whole classifier's parameters under the task's preset with this mixer. */
  modelParams: number | null;
  /** modelParams over the base Transformer's (mixer 'attention'): LRA allows at most 1.1. */
  ratioToTransformer: number | null;
  withinLraBudget: boolean | null;
}

/** LRA's "apples to apples" rule: at most 10% more parameters than the base Transformer. */
export const LRA_PARAM_BUDGET = 1.1;

/**
 * The base Transformer's parameters for a task at a preset (LRA's reference for the 1.1x rule);
 * null when the task or preset is unknown to this build.
 */
export function transformerParams(task: string, preset: string): number | null {
  try {
    const { config } = resolveConfig({ task, mixer: 'attention', preset });
    return describeClassifier(classifierConfig(config, getTask(task))).total;
  } catch {
    return null;
  }
}

/**
 * Every mixer's parameter count inside the task's model (its preset, e.g. LRA's settings), and
 * its ratio to the base Transformer under the same settings.
 */
export function mixersForTask(task: string, preset: string): MixerForTask[] {
  const spec = getTask(task);
  const modelParams = (mixer: string): { params: number | null; problem: string | null } => {
    try {
      const { config } = resolveConfig({ task, mixer, preset });
      return { params: describeClassifier(classifierConfig(config, spec)).total, problem: null };
    } catch (err) {
      return { params: null, problem: (err as Error).message };
    }
  };
  const base = modelParams('attention').params;
  const { config: baseConfig } = resolveConfig({ task, mixer: 'attention', preset });
  const seqLen = (baseConfig.data.seqLen ?? spec.seqLen) + (baseConfig.model.pool === 'cls' ? 1 : 0);
  return listMixers({ dModel: baseConfig.model.dModel, heads: baseConfig.model.heads, seqLen }).map((m) => {
    const { params, problem } = modelParams(m.name);
    const ratio = params !== null && base ? params / base : null;
    return {
      ...m,
      problem: m.problem ?? problem,
      task,
      preset,
      modelParams: params,
      ratioToTransformer: ratio,
      withinLraBudget: ratio === null ? null : ratio <= LRA_PARAM_BUDGET,
    };
  });
}
