import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `make test-slurm`: the tests that start a one-node Slurm cluster on this machine (as root, with
// Debian's slurmctld, slurmd and munge: `make slurm-deps`). `make test` leaves them out.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['packages/*/test/**/*.slurm.test.ts'], exclude: [...configDefaults.exclude] },
});
