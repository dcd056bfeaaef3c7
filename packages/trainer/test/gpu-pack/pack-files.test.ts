import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { keepDependencyFile, packFiles, productionDependencies } from '../../src/gpu-pack/pack-files.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('which files of a dependency go into the pack', () => {
  const tfjsCore = { name: '@tensorflow/tfjs-core', main: 'dist/tf-core.node.js' };
  const wasm = { name: '@tensorflow/tfjs-backend-wasm', main: 'dist/tf-backend-wasm.node.js' };

  it("keeps a tfjs package's Node bundle and the wasm binaries beside it, nothing else of it", () => {
    expect(keepDependencyFile(tfjsCore, 'dist/tf-core.node.js')).toBe(true);
    expect(keepDependencyFile(tfjsCore, 'package.json')).toBe(true);
    for (const dropped of ['dist/tf-core.node.js.map', 'dist/tf-core.min.js', 'dist/tf-core.fesm.js', 'dist/index.js', 'dist/ops/add.js', 'src/index.ts', 'README.md']) {
      expect(keepDependencyFile(tfjsCore, dropped), dropped).toBe(false);
    }
    expect(keepDependencyFile(wasm, 'dist/tfjs-backend-wasm-simd.wasm')).toBe(true);
    expect(keepDependencyFile(wasm, 'wasm-out/tfjs-backend-wasm-simd.wasm')).toBe(false);
    // The threaded build's files, which --threads loads itself.
    for (const ext of ['js', 'worker.js', 'wasm']) expect(keepDependencyFile(wasm, `wasm-out/tfjs-backend-wasm-threaded-simd.${ext}`), ext).toBe(true);
    expect(keepDependencyFile(wasm, 'wasm-out/tfjs-backend-wasm-threaded-simd.d.ts')).toBe(false);
  });

  it("keeps Dawn's binary for linux-x64 only", () => {
    const dawn = { name: 'webgpu', main: 'index.js' };
    expect(keepDependencyFile(dawn, 'index.js')).toBe(true);
    expect(keepDependencyFile(dawn, 'dist/linux-x64/dawn.node')).toBe(true);
    for (const other of ['dist/linux-arm64/dawn.node', 'dist/win32-x64/dawn.node', 'dist/darwin-universal/dawn.node', 'build/postinstall.js', 'types.d.ts']) {
      expect(keepDependencyFile(dawn, other), other).toBe(false);
    }
  });

  it('drops tests, docs, types, maps and TypeScript sources of other packages and keeps their code and licence', () => {
    const pkg = { name: 'pino' };
    for (const kept of ['pino.js', 'lib/tools.js', 'LICENSE', 'package.json', 'index.mjs', 'lib/worker.cjs']) expect(keepDependencyFile(pkg, kept), kept).toBe(true);
    for (const dropped of ['test/basic.test.js', 'docs/api.md', 'pino.d.ts', 'lib/tools.js.map', 'src/index.ts', 'examples/a.js', 'tsconfig.json', 'CHANGELOG.md']) {
      expect(keepDependencyFile(pkg, dropped), dropped).toBe(false);
    }
  });
});

describe("the project's production dependencies", () => {
  it('are what lra loads: tfjs, its wasm and WebGPU backends, Dawn, arrow, yargs, pino, seedrandom; no dev tools, no types', () => {
    const names = new Set(productionDependencies(repoRoot).map((d) => d.name));
    for (const needed of ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', 'apache-arrow', 'yargs', 'pino', 'pino-pretty', 'seedrandom', 'cli-progress']) {
      expect(names.has(needed), needed).toBe(true);
    }
    for (const absent of ['vitest', 'typescript', 'esbuild', 'vite', 'core-js', 'regenerator-runtime', '@webgpu/types', '@types/node', '@types/seedrandom']) {
      expect(names.has(absent), absent).toBe(false);
    }
  });
});

describe('the pack of a workspace', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function file(path: string, text = ''): void {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }

  /** Three workspace packages; trainer needs `a` (which needs its own `b`) and optionally `c` and `absent`. */
  function workspace(opts: { withA: boolean }): void {
    root = mkdtempSync(join(tmpdir(), 'gpu-pack-'));
    file('package.json', '{"name":"root"}');
    for (const p of ['data', 'models', 'trainer']) {
      const deps = p === 'trainer' ? '"dependencies":{"a":"1","@types/x":"1"},"optionalDependencies":{"c":"1","absent":"1"}' : '"dependencies":{}';
      file(`packages/${p}/package.json`, `{"name":"@lra/${p}",${deps}}`);
      file(`packages/${p}/dist/index.js`, 'export {};');
      file(`packages/${p}/dist/index.js.map`, '{}');
      file(`packages/${p}/dist/index.d.ts`, '');
      mkdirSync(join(root, 'node_modules/@lra'), { recursive: true });
      symlinkSync(`../../packages/${p}`, join(root, `node_modules/@lra/${p}`));
    }
    file('packages/trainer/bin/lra.js', '');
    file('experiments/lra/listops/base.json', '{}');
    file('experiments/sweeps/grid.json', '{}');
    file('packages/trainer/src/main.ts', '');
    if (opts.withA) {
      file('node_modules/a/package.json', '{"name":"a","dependencies":{"b":"2"}}');
      file('node_modules/a/index.js');
      file('node_modules/a/test/a.test.js');
      file('node_modules/a/node_modules/b/package.json', '{"name":"b"}');
      file('node_modules/a/node_modules/b/index.js');
    }
    file('node_modules/b/package.json', '{"name":"b"}');
    file('node_modules/c/package.json', '{"name":"c"}');
    file('node_modules/c/c.js');
    file('node_modules/@types/x/package.json', '{"name":"@types/x"}');
    file('node_modules/unused/package.json', '{"name":"unused"}');
  }

  it('holds the built packages, their links, and the dependencies Node would resolve, pruned', () => {
    workspace({ withA: true });
    const list = packFiles(root);
    expect(new Set(list.files)).toEqual(new Set([
      'package.json',
      ...['data', 'models', 'trainer'].flatMap((p) => [`packages/${p}/package.json`, `packages/${p}/dist/index.js`, `node_modules/@lra/${p}`]),
      'packages/trainer/bin/lra.js',
      'experiments/lra/listops/base.json',
      'node_modules/a/package.json', 'node_modules/a/index.js',
      // a's own b, where Node finds it from a; the hoisted b is needed by nobody.
      'node_modules/a/node_modules/b/package.json', 'node_modules/a/node_modules/b/index.js',
      'node_modules/c/package.json', 'node_modules/c/c.js',
    ]));
    expect(list.dependencies.map((d) => d.dir)).toEqual(['node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/c']);
    expect(list.bytes).toBeGreaterThan(0);
  });

  it('refuses an install that lacks a required dependency, a package that is not built, or the lra settings', () => {
    workspace({ withA: false });
    expect(() => packFiles(root)).toThrow('a, needed by @lra/trainer, is not installed (run npm ci)');
    rmSync(join(root, 'packages/models/dist'), { recursive: true });
    expect(() => packFiles(root)).toThrow('packages/models/dist is missing: build first (npx tsc -b)');
    workspace({ withA: true });
    rmSync(join(root, 'experiments/lra'), { recursive: true });
    expect(() => packFiles(root)).toThrow('experiments/lra is missing: the lra preset reads it');
  });
});
