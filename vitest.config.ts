import { configDefaults, defineConfig } from 'vitest/config';

// Tests import the workspace packages from their TypeScript sources (the "source" export
// condition), so `npm test` needs no build step.
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'import', 'node', 'default'], externalConditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // *.slurm.test.ts start a Slurm cluster as root: `make test-slurm` (vitest.slurm.config.ts).
    exclude: [...configDefaults.exclude, '**/*.slurm.test.ts'],
    environment: 'node',
    reporters: ['default', './scripts/vitest-summary.ts'],
    setupFiles: ['./scripts/vitest-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
