import { basename, extname, isAbsolute, relative, resolve } from 'node:path';
import { repoRoot } from '../util/paths.js';
import { expandSweep, sweepSize } from './expand.js';
import { kubernetesManifest, kubernetesName } from './kubernetes.js';
import { resolveRuns } from './plan.js';
import { slurmScript } from './slurm.js';
import type { SweepFile } from './spec.js';
import { toYamlDocuments } from './yaml.js';

export type EmitTarget = 'k8s' | 'slurm';

export interface EmitOptions {
  /** Parallel pods or array tasks; default every run at once. */
  workers?: number;
  name?: string;
  /** Results root as the cluster sees it; default `<mount>/<name>` (k8s) or the file's root (Slurm). */
  root?: string;
  dataDir?: string;
  /** The repository inside the image (k8s, default /lra: the images' WORKDIR) or on the shared file system (Slurm, default this one). */
  repo?: string;
  image?: string;
  pvc?: string;
  mount?: string;
  /** k8s: a claim holding the data, mounted at <repo>/datasets (the images' data volume). */
  dataPvc?: string;
  /** k8s: GPUs per pod (nvidia.com/gpu), for the lra-ts:gpu image. */
  gpus?: number;
  cpus?: number;
  memoryGiB?: number;
  time?: string;
  /** k8s only: JSON (a v1 List) instead of YAML. */
  json?: boolean;
}

// The image and folder are those docker/Dockerfile.cpu builds (`docker build -t lra-ts:cpu`, WORKDIR /lra).
export const emitDefaults = { image: 'lra-ts:cpu', pvc: 'lra-results', mount: '/results', k8sRepo: '/lra', cpus: 2, memoryGiB: 8, time: '24:00:00' } as const;

/** The sweep file as the job sees it: relative to the repository when it lies inside it. */
function pathInRepo(path: string, localRepo: string): string {
  const rel = relative(localRepo, resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(path);
}

/**
 * The job text for a cluster engine. Every run's config is resolved first, as for a local sweep,
 * so a bad sweep is refused here rather than by every pod of a submitted job.
 */
export function emitSweep(file: SweepFile, target: EmitTarget, o: EmitOptions = {}): string {
  const n = sweepSize(file.spec);
  resolveRuns(expandSweep(file.spec, { ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}) }));
  const name = o.name ?? kubernetesName(`lra-${basename(file.path, extname(file.path))}`);
  const parallelism = o.workers ?? n;
  const dataDir = o.dataDir ?? null;
  const cpus = o.cpus ?? emitDefaults.cpus;
  const memoryGiB = o.memoryGiB ?? emitDefaults.memoryGiB;
  if (target === 'k8s') {
    const mountPath = (o.mount ?? emitDefaults.mount).replace(/\/$/, '');
    const repoDir = o.repo ?? emitDefaults.k8sRepo;
    // Data never lands in a pod's own (ephemeral) folder: on its claim when one is named, else
    // on the results claim, prepared by the first pod and read by the others.
    const dataMount = o.dataPvc !== undefined ? `${repoDir.replace(/\/$/, '')}/datasets` : null;
    const docs = kubernetesManifest({
      name,
      sweepText: file.text,
      runs: n,
      parallelism,
      image: o.image ?? emitDefaults.image,
      repoDir,
      pvc: o.pvc ?? emitDefaults.pvc,
      mountPath,
      root: o.root ?? `${mountPath}/${name}`,
      dataDir: dataDir ?? dataMount ?? `${mountPath}/datasets`,
      dataClaim: o.dataPvc !== undefined && dataMount !== null ? { claimName: o.dataPvc, mountPath: dataMount } : null,
      gpus: o.gpus ?? 0,
      cpus,
      memoryGiB,
    });
    return o.json ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }, null, 2)}\n` : toYamlDocuments(docs);
  }
  const localRepo = repoRoot();
  return slurmScript({
    name,
    runs: n,
    parallelism,
    repoDir: o.repo ?? localRepo,
    sweepFile: pathInRepo(file.path, localRepo),
    root: o.root ?? file.spec.root,
    dataDir,
    cpus,
    memoryGiB,
    time: o.time ?? emitDefaults.time,
  });
}
