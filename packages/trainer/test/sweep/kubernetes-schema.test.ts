import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type EmitOptions, emitSweep } from '../../src/sweep/emit.js';
import { readSweepFile } from '../../src/sweep/spec.js';
import { repoRoot } from '../../src/util/paths.js';
import { tempDir, writeSweepFile } from './helpers.js';
import { kubernetesSchemaErrors } from './kubernetes-schemas.js';

type Manifest = Record<string, any>;

// A sweep file whose text (carried verbatim in the ConfigMap) has quotes, a colon, a hash and
// non-ASCII, which a YAML writer must quote right.
const sweepBody = {
  description: "attention vs fnet: 'quoted', \"double\", # not a comment, naïve — ünïcode",
  tasks: ['listops'],
  mixers: ['attention', 'fnet'],
  seeds: [1, 2],
  preset: 'tiny',
  root: 'results/k8s',
  steps: 4,
};

/** The manifests as a YAML reader other than the project's own reads them; any YAML error fails. */
function readWithYamlPackage(text: string): Manifest[] {
  return parseAllDocuments(text, { uniqueKeys: true, strict: true }).map((doc) => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(doc.warnings.map((w) => w.message)).toEqual([]);
    return doc.toJS() as Manifest;
  });
}

function emitK8s(o: EmitOptions = {}): string {
  return emitSweep(readSweepFile(writeSweepFile(tempDir('k8s-schema'), sweepBody)), 'k8s', o);
}

describe('the emitted Kubernetes manifests against the Kubernetes 1.30 schemas', () => {
  const variants: [string, EmitOptions][] = [
    ['defaults', {}],
    ['a data claim, GPUs, named resources', { name: 'lra-gpu', workers: 2, image: 'registry.example/lra:gpu', pvc: 'results', dataPvc: 'lra-data', gpus: 1, cpus: 8, memoryGiB: 30 }],
  ];
  for (const [what, options] of variants) {
    it(`are valid, every field known to the API (${what})`, () => {
      const docs = readWithYamlPackage(emitK8s(options));
      expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual(['v1 ConfigMap', 'batch/v1 Job']);
      for (const doc of docs) expect(kubernetesSchemaErrors(doc)).toEqual([]);
      // The ConfigMap carries the sweep file byte for byte.
      expect(JSON.parse(docs[0]!.data['sweep.json'])).toEqual(sweepBody);
    });
  }

  it('were generated from the pinned kubernetes-types (regenerate with scripts/fixtures/k8s-schemas.mjs after a bump)', () => {
    const pinned = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).devDependencies['kubernetes-types'];
    for (const file of ['job-batch-v1.json', 'configmap-v1.json']) {
      const schema = JSON.parse(readFileSync(join(repoRoot(), 'packages/trainer/test/sweep/k8s-schemas', file), 'utf8'));
      expect(schema.$comment).toContain(`from kubernetes-types ${pinned} `);
    }
  });

  it('--json writes a v1 List whose items are the same valid objects', () => {
    const list = JSON.parse(emitK8s({ json: true })) as Manifest;
    expect(Object.keys(list).sort()).toEqual(['apiVersion', 'items', 'kind']);
    expect([list.apiVersion, list.kind]).toEqual(['v1', 'List']);
    for (const item of list.items) expect(kubernetesSchemaErrors(item)).toEqual([]);
    expect(list.items).toEqual(readWithYamlPackage(emitK8s()));
  });

  // The schemas must be strict enough to matter: a misspelt, missing or mistyped field is refused.
  it('refuses a misspelt field, a missing required one and a wrong type', () => {
    const yamlText = emitK8s();
    const misspelt = (from: RegExp, to: string) => {
      expect(yamlText).toMatch(from);
      return readWithYamlPackage(yamlText.replace(from, to))[1]!;
    };
    expect(kubernetesSchemaErrors(misspelt(/\bcompletionMode:/, 'completionMod:'))).toEqual(['Job /spec: must NOT have additional properties (completionMod)']);
    expect(kubernetesSchemaErrors(misspelt(/\brestartPolicy:/, 'restartpolicy:'))).toEqual(['Job /spec/template/spec: must NOT have additional properties (restartpolicy)']);
    expect(kubernetesSchemaErrors(misspelt(/\bmountPath:/, 'mountpath:'))).toEqual([
      'Job /spec/template/spec/containers/0/volumeMounts/0: must have required property \'mountPath\'',
      'Job /spec/template/spec/containers/0/volumeMounts/0: must NOT have additional properties (mountpath)',
    ]);

    const [configMap, job] = readWithYamlPackage(yamlText) as [Manifest, Manifest];
    delete job.spec.template.spec.containers[0].name;
    job.spec.completions = String(job.spec.completions);
    expect(kubernetesSchemaErrors(job)).toEqual([
      'Job /spec/completions: must be number',
      'Job /spec/template/spec/containers/0: must have required property \'name\'',
    ]);
    configMap.data['sweep.json'] = { not: 'a string' };
    expect(kubernetesSchemaErrors(configMap)).toEqual(['ConfigMap /data/sweep.json: must be string']);
    expect(kubernetesSchemaErrors({ apiVersion: 'batch/v1', kind: 'CronJob' })).toEqual(['batch/v1 CronJob: no schema for this kind (k8s-schemas/README.md)']);
  });
});
