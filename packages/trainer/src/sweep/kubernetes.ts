import type { YamlValue } from './yaml.js';

/** What a cluster needs beyond the sweep file: where the program is and where results go. */
export interface KubernetesOptions {
  /** Job name (DNS-1123 label); the ConfigMap holding the sweep file is `<name>-sweep`. */
  name: string;
  /** The sweep file's text, carried in a ConfigMap so every pod reads exactly the emitted sweep. */
  sweepText: string;
  runs: number;
  /** Pods at a time. */
  parallelism: number;
  /** An image holding this repository, built (`npm ci` runs tsc -b). */
  image: string;
  /** The repository's folder inside the image. */
  repoDir: string;
  /** The PersistentVolumeClaim shared by every pod: the results folder. */
  pvc: string;
  mountPath: string;
  /** Results root inside the pod (on the claim): `lra report` reads it. */
  root: string;
  dataDir: string | null;
  /** A claim for the data, mounted where dataDir points; null: the data is on the results claim. */
  dataClaim?: { claimName: string; mountPath: string } | null;
  /** nvidia.com/gpu per pod; 0 for none. */
  gpus?: number;
  cpus: number;
  memoryGiB: number;
}

export const SWEEP_FILE_MOUNT = '/etc/lra';
export const JOB_INDEX_VARIABLE = 'JOB_COMPLETION_INDEX';
const dns1123Label = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A Job name from any text: lower case, letters, digits and '-', at most 52 characters. */
export function kubernetesName(text: string): string {
  // 52, not 63: the Job controller appends "-<index>-<suffix>" to make pod names from it.
  const name = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 52).replace(/-$/, '');
  return name === '' ? 'lra-sweep' : name;
}

export function checkKubernetesName(name: string): void {
  if (name.length > 52 || !dns1123Label.test(name))
    throw new Error(`--name ${JSON.stringify(name)}: a Job name is lower-case letters, digits and '-', starting and ending with a letter or digit, at most 52 characters`);
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The pod's entry: the Job controller sets JOB_COMPLETION_INDEX to the pod's index, and
 * `lra sweep FILE --index i` runs run i of the same expansion the local pool uses (skipping it
 * when a retried pod finds its report, resuming it from a checkpoint on the claim).
 */
export function kubernetesEntryScript(o: Pick<KubernetesOptions, 'root' | 'dataDir'>): string {
  const args = ['node', 'packages/trainer/bin/lra.js', 'sweep', `${SWEEP_FILE_MOUNT}/sweep.json`, '--index', `"$${JOB_INDEX_VARIABLE}"`, '--root', shellQuote(o.root)];
  if (o.dataDir !== null) args.push('--data-dir', shellQuote(o.dataDir));
  return `: "\${${JOB_INDEX_VARIABLE}:?not set: run this as a Kubernetes Indexed Job}"; exec ${args.join(' ')}`;
}

/** A ConfigMap with the sweep file, then a batch/v1 Indexed Job with one completion per run. */
export function kubernetesManifest(o: KubernetesOptions): YamlValue[] {
  checkKubernetesName(o.name);
  const labels = { 'app.kubernetes.io/name': 'lra', 'app.kubernetes.io/component': 'sweep', 'app.kubernetes.io/instance': o.name };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${o.name}-sweep`, labels },
    data: { 'sweep.json': o.sweepText },
  };
  const memory = `${o.memoryGiB}Gi`;
  const gpus = o.gpus ?? 0;
  const limits: Record<string, string> = { memory, ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}) };
  const dataMounts = o.dataClaim ? [{ name: 'data', mountPath: o.dataClaim.mountPath }] : [];
  const dataVolumes = o.dataClaim ? [{ name: 'data', persistentVolumeClaim: { claimName: o.dataClaim.claimName } }] : [];
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: o.name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: o.runs,
      parallelism: Math.min(o.parallelism, o.runs),
      // Retries are cheap (a retried index resumes from its checkpoint), so allow one per run.
      backoffLimit: o.runs,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'lra',
              image: o.image,
              workingDir: o.repoDir,
              command: ['/bin/sh', '-c', kubernetesEntryScript(o)],
              env: [{ name: 'LRA_LOG_LEVEL', value: 'info' }],
              resources: { requests: { cpu: String(o.cpus), memory }, limits },
              volumeMounts: [
                { name: 'results', mountPath: o.mountPath },
                { name: 'sweep', mountPath: SWEEP_FILE_MOUNT, readOnly: true },
                ...dataMounts,
              ],
            },
          ],
          volumes: [
            { name: 'results', persistentVolumeClaim: { claimName: o.pvc } },
            { name: 'sweep', configMap: { name: `${o.name}-sweep` } },
            ...dataVolumes,
          ],
        },
      },
    },
  };
  return [configMap, job];
}
