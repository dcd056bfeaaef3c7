// The files a machine without npm needs to run `lra`: the built workspace packages and the
// production node_modules they load, pruned of what Node never reads there (sources, maps,
// types, browser bundles, other platforms' binaries). `make gpu-pack` tars this list.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface PackagedDependency {
  name: string;
  /** The package's folder, relative to the repository root. */
  dir: string;
}

interface PackageJson {
  name?: string;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The workspace packages, in the folders the root package.json names. */
export const WORKSPACE_DIRS = ['packages/data', 'packages/models', 'packages/trainer'] as const;

/** What each workspace package needs at run time, besides its package.json. */
const WORKSPACE_RUNTIME_DIRS = ['dist', 'bin', 'bench'];

/**
 * Repository folders the program reads at run time: the lra preset's base settings per task
 * (`lra train --preset lra` reads experiments/lra/<task>/, found from the packages' location).
 */
export const RUNTIME_REPO_DIRS = ['experiments/lra'] as const;

/** Node's platform folder name of a prebuilt binary for this machine's kind (the GPU machine's). */
export const TARGET_PLATFORM = 'linux-x64';

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Packages of types alone: nothing loads them. */
const TYPE_ONLY = /^@types\/|^@webgpu\/types$/;

/**
 * Packages whose Node bundle loads fewer dependencies than their package.json lists: the names it
 * does load. @tensorflow/tfjs's other dependencies (argparse, chalk, core-js, yargs...) serve its
 * tools/ scripts and browser polyfills; dist/tf.node.js requires only the tfjs packages (and
 * long and seedrandom, which tfjs-core brings).
 */
const LOADED_DEPENDENCIES: Record<string, RegExp> = { '@tensorflow/tfjs': /^@tensorflow\// };

/** Where Node would find `name` when required from `fromDir`: the nearest node_modules upward. */
function resolvePackageDir(root: string, fromDir: string, name: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
    dir = dirname(dir);
  }
}

/**
 * Every package the workspace packages load at run time, found as Node finds them, following
 * dependencies and the optional ones that are installed. Type-only packages (@types/*) are left
 * out: nothing loads them. A required dependency that is missing is an error, so a pack is never
 * built from an incomplete install.
 */
export function productionDependencies(root: string): PackagedDependency[] {
  const found = new Map<string, PackagedDependency>();
  const pending: Array<{ dir: string; json: PackageJson }> = WORKSPACE_DIRS.map((d) => ({ dir: join(root, d), json: readPackageJson(join(root, d)) }));
  while (pending.length > 0) {
    const { dir, json } = pending.pop()!;
    const wanted = [
      ...Object.keys(json.dependencies ?? {}).map((name) => ({ name, optional: false })),
      ...Object.keys(json.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ];
    for (const { name, optional } of wanted) {
      if (TYPE_ONLY.test(name) || name.startsWith('@lra/')) continue;
      const loaded = json.name === undefined ? undefined : LOADED_DEPENDENCIES[json.name];
      if (loaded !== undefined && !loaded.test(name)) continue;
      const location = resolvePackageDir(root, dir, name);
      if (location === null) {
        if (optional) continue;
        throw new Error(`${name}, needed by ${json.name ?? dir}, is not installed (run npm ci)`);
      }
      const rel = relative(root, location);
      if (found.has(rel)) continue;
      found.set(rel, { name, dir: rel });
      pending.push({ dir: location, json: readPackageJson(location) });
    }
  }
  return [...found.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}

const THREADED_BUILD_FILES = new Set(['js', 'worker.js', 'wasm'].map((ext) => `wasm-out/tfjs-backend-wasm-threaded-simd.${ext}`));

const DROPPED_DIRS = new Set(['test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'benchmark', 'benchmarks', '.github', 'coverage']);
const DROPPED_FILE = /(\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.tsbuildinfo|\.md|\.markdown|\.ts|\.mts|\.cts|\.flow|tsconfig[^/]*\.json|\.npmignore|\.eslintrc[^/]*|\.editorconfig)$/i;

/**
 * Whether a file of a dependency goes into the pack. `rel` is the path inside the package.
 * tfjs packages ship TypeScript sources, ES-module trees and browser bundles beside the one
 * CommonJS bundle Node loads (their `main`, with the wasm binaries beside it): only that bundle
 * and the binaries are kept. Dawn (`webgpu`) ships a prebuilt dawn.node for every platform: only
 * this target's is kept.
 */
export function keepDependencyFile(pkg: { name: string; main?: string }, rel: string): boolean {
  const parts = rel.split('/');
  if (parts.length > 1 && parts.slice(0, -1).some((p) => DROPPED_DIRS.has(p))) return false;
  const base = parts[parts.length - 1]!;
  if (/^licen[cs]e/i.test(base)) return true;
  if (rel === 'package.json') return true;
  if (pkg.name.startsWith('@tensorflow/')) {
    const main = (pkg.main ?? 'index.js').replace(/^\.\//, '');
    const mainDir = main.includes('/') ? main.slice(0, main.lastIndexOf('/')) : '';
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    // The threaded build, which the project starts itself (--threads): its emscripten glue, the
    // pthread worker's source and its binary (models/src/backend/wasm-threads/).
    if (pkg.name === '@tensorflow/tfjs-backend-wasm' && THREADED_BUILD_FILES.has(rel)) return true;
    return rel === main || (rel.endsWith('.wasm') && dir === mainDir);
  }
  if (pkg.name === 'webgpu') {
    if (rel === 'index.js') return true;
    return parts[0] === 'dist' && parts[1] === TARGET_PLATFORM;
  }
  return !DROPPED_FILE.test(rel);
}

/** Whether a file of a workspace package's dist, bin or bench folder goes into the pack. */
export function keepWorkspaceFile(rel: string): boolean {
  return !/(\.map|\.d\.ts|\.tsbuildinfo)$/.test(rel);
}

function walk(dir: string, visit: (rel: string) => void, prefix = ''): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) walk(join(dir, entry.name), visit, rel);
    else visit(rel);
  }
}

export interface PackFileList {
  /** Paths relative to the repository root, in the order tar writes them. */
  files: string[];
  /** Bytes before compression. */
  bytes: number;
  dependencies: PackagedDependency[];
}

/**
 * Every path of the pack, relative to the repository root: the root package.json, each workspace
 * package's package.json and run-time folders, the links node_modules/@lra/* (kept as links, as
 * npm made them), the repository folders read at run time, and the pruned dependencies. Fails when a workspace package is not built.
 */
export function packFiles(root: string): PackFileList {
  const files: string[] = ['package.json'];
  for (const dir of WORKSPACE_DIRS) {
    if (!existsSync(join(root, dir, 'dist'))) throw new Error(`${dir}/dist is missing: build first (npx tsc -b)`);
    files.push(`${dir}/package.json`);
    for (const sub of WORKSPACE_RUNTIME_DIRS) {
      const abs = join(root, dir, sub);
      if (!existsSync(abs)) continue;
      walk(abs, (rel) => { if (keepWorkspaceFile(rel)) files.push(`${dir}/${sub}/${rel}`); });
    }
    const link = `node_modules/@lra/${dir.split('/')[1]}`;
    if (!lstatSync(join(root, link)).isSymbolicLink()) throw new Error(`${link} is not npm's workspace link: run npm ci`);
    files.push(link);
  }
  for (const dir of RUNTIME_REPO_DIRS) {
    if (!existsSync(join(root, dir))) throw new Error(`${dir} is missing: the lra preset reads it`);
    walk(join(root, dir), (rel) => files.push(`${dir}/${rel}`));
  }
  const dependencies = productionDependencies(root);
  for (const dep of dependencies) {
    const json = readPackageJson(join(root, dep.dir));
    const pkg = json.main === undefined ? { name: dep.name } : { name: dep.name, main: json.main };
    // Dependencies nested in this one's node_modules are packages of their own, listed separately.
    walk(join(root, dep.dir), (rel) => {
      if (rel.startsWith('node_modules/')) return;
      if (keepDependencyFile(pkg, rel)) files.push(`${dep.dir}/${rel}`.split(sep).join('/'));
    });
  }
  const bytes = files.reduce((sum, f) => sum + lstatSync(join(root, f)).size, 0);
  return { files, bytes, dependencies };
}
