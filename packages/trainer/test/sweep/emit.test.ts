import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitSweep } from '../../src/sweep/emit.js';
import { expandSweep } from '../../src/sweep/expand.js';
import { checkKubernetesName, kubernetesName } from '../../src/sweep/kubernetes.js';
import { MINIMUM_NODE } from '../../src/sweep/slurm.js';
import { readSweepFile } from '../../src/sweep/spec.js';
import { repoRoot } from '../../src/util/paths.js';
import { fakeLauncher, runSweepCommand, tempDir, writeSweepFile } from './helpers.js';
import { readYamlDocuments } from './yaml-reader.js';

type Manifest = Record<string, any>;

const sweepBody = {
  description: "two mixers, two override sets, three seeds: 12 runs; a value with 'quotes' and \"more\"",
  tasks: ['listops'],
  mixers: ['attention', 'fnet'],
  seeds: [5, 1, 3],
  preset: 'tiny',
  overrides: [{ name: 'base' }, { name: 'no-dropout', config: { model: { dropout: 0 } } }],
  root: 'results/emit',
  steps: 6,
};

/** A folder with a `node` that prints the arguments it gets, one per line, instead of running. */
function fakeNodeDir(): string {
  const dir = tempDir('fake-node');
  const node = join(dir, 'node');
  writeFileSync(node, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(node, 0o755);
  return dir;
}

/** Runs an entry script with the index variable set, and returns the `lra` arguments it would exec. */
function argsOfEntry(shell: string, script: string, env: Record<string, string>): string[] {
  // stdin not a socket (node's default pipe), or bash takes itself for a remote shell and reads ~/.bashrc.
  const r = spawnSync(shell, ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: `${fakeNodeDir()}:/usr/bin:/bin`, ...env } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split('\n');
}

/** `lra sweep ...` as a cluster task would run it, in this process, with a launcher that trains nothing. */
async function runLaunchedBy(args: string[], sweepFile: string, root: string) {
  expect(args.slice(0, 2)).toEqual(['packages/trainer/bin/lra.js', 'sweep']);
  const argv = args.slice(1);
  argv[1] = sweepFile;
  argv[argv.indexOf('--root') + 1] = root;
  const fake = fakeLauncher();
  await runSweepCommand(argv, { launcher: fake.launcher });
  expect(fake.calls).toHaveLength(1);
  return fake.calls[0]!.run;
}

describe('emitting a sweep for a cluster', () => {
  it('writes a ConfigMap with the sweep file and an Indexed batch/v1 Job with one completion per run', () => {
    const dir = tempDir('k8s');
    const file = readSweepFile(writeSweepFile(dir, sweepBody));
    const docs = readYamlDocuments(emitSweep(file, 'k8s', { name: 'lra-demo', workers: 4, image: 'registry.example/lra:1.0', pvc: 'results-claim' })) as Manifest[];
    expect(docs).toHaveLength(2);
    const [cm, job] = docs as [Manifest, Manifest];
    expect(cm).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lra-demo-sweep' } });
    expect(cm.data['sweep.json']).toBe(file.text);

    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata.name).toBe('lra-demo');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 12, parallelism: 4 });
    const pod = job.spec.template.spec;
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toBe('registry.example/lra:1.0');
    // The folder the shipped images build the repository in (docker/Dockerfile.*: WORKDIR /lra).
    expect(c.workingDir).toBe('/lra');
    expect(c.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(c.command[2]).toContain('"$JOB_COMPLETION_INDEX"');
    expect(c.volumeMounts).toEqual([
      { name: 'results', mountPath: '/results' },
      { name: 'sweep', mountPath: '/etc/lra', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'results', persistentVolumeClaim: { claimName: 'results-claim' } },
      { name: 'sweep', configMap: { name: 'lra-demo-sweep' } },
    ]);
    expect(c.resources).toEqual({ requests: { cpu: '2', memory: '8Gi' }, limits: { memory: '8Gi' } });
    // The data lives on the results claim, not in each pod's ephemeral folder.
    expect(c.command[2]).toContain('--data-dir /results/datasets');
    // Pods at a time never exceed the runs.
    const small = readYamlDocuments(emitSweep(file, 'k8s', { workers: 50 })) as Manifest[];
    expect(small[1]!.spec.parallelism).toBe(12);
    expect(small[1]!.metadata.name).toBe('lra-sweep');
  });

  it('runs with the shipped images by default, and takes a data claim and GPUs', () => {
    const dockerfile = readFileSync(join(__dirname, '../../../../docker/Dockerfile.cpu'), 'utf8');
    const dockerReadme = readFileSync(join(__dirname, '../../../../docker/README.md'), 'utf8');
    const file = readSweepFile(writeSweepFile(tempDir('k8s-images'), sweepBody));
    const [, plain] = readYamlDocuments(emitSweep(file, 'k8s', { name: 'lra-img' })) as [Manifest, Manifest];
    const c = plain.spec.template.spec.containers[0];
    expect(dockerfile).toMatch(new RegExp(`^WORKDIR ${c.workingDir}$`, 'm'));
    expect(dockerReadme).toContain(`-t ${c.image} `);
    const [, gpu] = readYamlDocuments(emitSweep(file, 'k8s', { name: 'lra-gpu', image: 'lra-ts:gpu', dataPvc: 'lra-data', gpus: 1 })) as [Manifest, Manifest];
    const pod = gpu.spec.template.spec;
    const g = pod.containers[0];
    expect(g.resources.limits).toEqual({ memory: '8Gi', 'nvidia.com/gpu': '1' });
    expect(g.volumeMounts).toContainEqual({ name: 'data', mountPath: '/lra/datasets' });
    expect(pod.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'lra-data' } });
    expect(g.command[2]).toContain('--data-dir /lra/datasets');
  });

  it('maps each Job completion index to the run of the same index in the local order', async () => {
    const dir = tempDir('k8s-map');
    const path = writeSweepFile(dir, sweepBody);
    const file = readSweepFile(path);
    const [cm, job] = readYamlDocuments(emitSweep(file, 'k8s', { name: 'lra-map' })) as [Manifest, Manifest];
    const script = job.spec.template.spec.containers[0].command[2] as string;
    // The pod reads the file from the ConfigMap: write it out as the mount would.
    const mounted = join(dir, 'mounted-sweep.json');
    writeFileSync(mounted, cm.data['sweep.json']);
    const root = join(dir, 'results');
    const local = expandSweep(file.spec, { root });
    for (let i = 0; i < job.spec.completions; i++) {
      const args = argsOfEntry('/bin/sh', script, { JOB_COMPLETION_INDEX: String(i) });
      expect(args.slice(2, 5)).toEqual(['/etc/lra/sweep.json', '--index', String(i)]);
      expect(args[args.indexOf('--root') + 1]).toBe('/results/lra-map');
      const run = await runLaunchedBy(args, mounted, root);
      expect(run.index).toBe(i);
      expect(run.id).toBe(local[i]!.id);
      expect(run.out).toBe(local[i]!.out);
    }
    // Outside an Indexed Job the entry refuses to guess an index.
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${fakeNodeDir()}:/usr/bin:/bin` } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('not set: run this as a Kubernetes Indexed Job');
  });

  it('a Slurm task says so and stops when the node on its PATH is older than the engines field allows', () => {
    const file = readSweepFile(writeSweepFile(tempDir('slurm-node'), sweepBody));
    const script = emitSweep(file, 'slurm', { name: 'lra-old-node', repo: '/' });
    const engines = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).engines.node;
    expect(engines).toBe(`>=${MINIMUM_NODE.major}.${MINIMUM_NODE.minor}`);
    expect(script).toContain(`# the results root on it too; Node.js >= ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} on the PATH`);
    // A node that answers --version and runs the check with the version it claims.
    const taskWithNode = (version: string) => {
      const dir = tempDir('old-node');
      writeFileSync(join(dir, 'node'), `#!/bin/sh\n[ "$1" = --version ] && { echo v${version}; exit 0; }\n[ "$1" = -e ] && exec ${process.execPath} -e "Object.defineProperty(process.versions, 'node', { value: '${version}' }); $2"\nexit 0\n`);
      chmodSync(join(dir, 'node'), 0o755);
      return spawnSync('/bin/bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: `${dir}:/usr/bin:/bin`, SLURM_ARRAY_TASK_ID: '0' } });
    };
    for (const old of ['18.19.0', '20.18.1']) {
      const r = taskWithNode(old);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`lra: needs Node.js >= 20.19 on PATH (found: v${old})\n`);
    }
    for (const ok of ['20.19.0', '22.1.0']) expect(taskWithNode(ok).status).toBe(0);
  });

  it('a Slurm script run outside a job array says how it is meant to run', () => {
    const script = emitSweep(readSweepFile(writeSweepFile(tempDir('slurm-by-hand'), sweepBody)), 'slurm', { repo: '/' });
    const r = spawnSync('/bin/bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: `${fakeNodeDir()}:/usr/bin:/bin` } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('SLURM_ARRAY_TASK_ID: not set: submit this file with sbatch, which runs it as a job array');
    expect(r.stdout).toBe('');
  });

  it('writes JSON (a v1 List) with the same objects', () => {
    const file = readSweepFile(writeSweepFile(tempDir('k8s-json'), sweepBody));
    const list = JSON.parse(emitSweep(file, 'k8s', { json: true, name: 'lra-j' }));
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(list.items).toEqual(readYamlDocuments(emitSweep(file, 'k8s', { name: 'lra-j' })));
  });

  it('writes a Slurm job array whose task i runs run i, into the shared root', async () => {
    const dir = tempDir('slurm');
    const path = writeSweepFile(dir, sweepBody);
    const file = readSweepFile(path);
    const script = emitSweep(file, 'slurm', { workers: 3, name: 'lra-s', root: '/shared/results/s', cpus: 4, memoryGiB: 6, time: '02:00:00' });
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(directives).toEqual([
      '#SBATCH --job-name=lra-s',
      '#SBATCH --array=0-11%3',
      '#SBATCH --ntasks=1',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=6G',
      '#SBATCH --time=02:00:00',
      '#SBATCH --output=lra-s-%A_%a.out',
    ]);
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain(`cd ${repoRoot()}\n`);
    const root = join(dir, 'results');
    const local = expandSweep(file.spec, { root });
    for (const i of [0, 7, 11]) {
      const args = argsOfEntry('/bin/bash', script, { SLURM_ARRAY_TASK_ID: String(i) });
      expect(args.slice(2, 5)).toEqual([path, '--index', String(i)]);
      expect(args[args.indexOf('--root') + 1]).toBe('/shared/results/s');
      const run = await runLaunchedBy(args, path, root);
      expect([run.index, run.id, run.out]).toEqual([i, local[i]!.id, local[i]!.out]);
    }
  });

  it('names a sweep file inside the repository relative to it, and defaults the root to the file\'s', () => {
    const inRepo = join(repoRoot(), 'experiments', 'sweeps', 'listops-tiny.json');
    const script = emitSweep(readSweepFile(inRepo), 'slurm', {});
    expect(script).toContain(`sweep ${relative(repoRoot(), inRepo)} --index "\${SLURM_ARRAY_TASK_ID}" --root runs/sweeps/listops-tiny\n`);
    expect(script).toContain('#SBATCH --array=0-3%4\n');
  });

  it('refuses a bad sweep and a bad job name before writing anything', () => {
    const dir = tempDir('emit-bad');
    const file = readSweepFile(writeSweepFile(dir, { ...sweepBody, mixers: ['attention', 'nope'] }));
    expect(() => emitSweep(file, 'k8s')).toThrow(/run 6 \(listops\/nope\/base\/s5\): .*unknown mixer "nope"/);
    const good = readSweepFile(writeSweepFile(dir, sweepBody));
    expect(() => emitSweep(good, 'k8s', { name: 'Bad_Name' })).toThrow('--name "Bad_Name": a Job name is lower-case letters');
    expect(() => emitSweep(good, 'slurm', { name: 'a b' })).toThrow('--name "a b": use letters, digits');
    expect(kubernetesName('LRA Sweep: ListOps/tiny!')).toBe('lra-sweep-listops-tiny');
    expect(() => checkKubernetesName(kubernetesName('x'.repeat(80)))).not.toThrow();
  });

  it('is what `lra sweep FILE --emit` prints or writes', async () => {
    const dir = tempDir('emit-cli');
    const path = writeSweepFile(dir, sweepBody);
    const printed = await runSweepCommand(['sweep', path, '--emit', 'slurm', '--workers', '2']);
    expect(printed).toBe(emitSweep(readSweepFile(path), 'slurm', { workers: 2 }));
    const out = join(dir, 'out', 'job.yaml');
    mkdirSync(join(dir, 'out'));
    expect(await runSweepCommand(['sweep', path, '--emit', 'k8s', '--out', out, '--image', 'i:1'])).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(emitSweep(readSweepFile(path), 'k8s', { image: 'i:1' }));
    await expect(runSweepCommand(['sweep', path, '--emit', 'k8s', '--index', '1'])).rejects.toThrow('--emit writes a job for every run');
  });
});
