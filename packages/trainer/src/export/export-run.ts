// `lra export`: a run's checkpoint as a file other frameworks load, without TensorFlow.js.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/types.js';
import { projectVersion } from '../report/versions.js';
import { readCheckpoint } from '../train/checkpoint.js';
import type { CheckpointMeta } from '../train/checkpoint-meta.js';
import { RunFiles } from '../train/run-files.js';
import { writeFileAtomic } from '../util/atomic.js';
import { encodeSafetensors, type NamedTensor } from './safetensors.js';

export const EXPORT_FORMATS = ['safetensors'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_CHECKPOINTS = ['best', 'last'] as const;
export type ExportCheckpoint = (typeof EXPORT_CHECKPOINTS)[number];

export interface ExportOptions {
  run: string;
  format: string;
  checkpoint: ExportCheckpoint;
  /** Default: <run>/export/<checkpoint>.safetensors. */
  out?: string | undefined;
}

export interface ExportResult {
  file: string;
  checkpoint: { file: string; step: number };
  tensors: number;
  values: number;
}

/** Checkpoint keys of trainable parameters; the prefix is dropped, so names are the model's own. */
const PARAM_PREFIX = 'param/';
/**
 * Checkpoint keys of the optimiser's state (Adam's moments): training state, not part of the
 * model, so not exported. Any other key is model state that is not trained (none today; running
 * statistics, say) and is exported under its own key.
 */
const OPTIMIZER_PREFIX = /^adam\.[a-z]+\//;

export async function exportRun(opts: ExportOptions): Promise<ExportResult> {
  const files = new RunFiles(opts.run);
  if (!existsSync(files.config)) throw new Error(`${files.config}: no such file: ${opts.run} is not a run directory`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format))
    throw new Error(`cannot export ${opts.run}: unknown format "${opts.format}" (known: ${EXPORT_FORMATS.join(', ')})`);
  const path = opts.checkpoint === 'best' ? files.bestCheckpoint : files.lastCheckpoint;
  if (!existsSync(path))
    throw new Error(`${path}: no such checkpoint${opts.checkpoint === 'best' ? ' (no validation has chosen one yet; --checkpoint last exports the latest)' : ' (the run has not saved one yet)'}`);

  const config = JSON.parse(readFileSync(files.config, 'utf8')) as ExperimentConfig;
  const { meta, entries } = await readCheckpoint<CheckpointMeta>(path);
  const tensors: NamedTensor[] = [];
  for (const [key, { shape, values }] of entries) {
    if (OPTIMIZER_PREFIX.test(key)) continue;
    tensors.push({ name: key.startsWith(PARAM_PREFIX) ? key.slice(PARAM_PREFIX.length) : key, shape, values });
  }
  const metadata: Record<string, string> = {
    format: 'lra-ts',
    version: projectVersion(),
    task: config.task,
    mixer: config.mixer,
    seed: String(config.seed),
    step: String(meta.step),
    checkpoint: opts.checkpoint,
    config: JSON.stringify(config),
  };
  const file = opts.out ?? join(opts.run, 'export', `${opts.checkpoint}.${opts.format}`);
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata));
  return { file, checkpoint: { file: path, step: meta.step }, tensors: tensors.length, values: tensors.reduce((n, t) => n + t.values.length, 0) };
}
