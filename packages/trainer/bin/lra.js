#!/usr/bin/env node
// The `lra` command: runs the compiled program (built by `npm ci`/`npm run build` through tsc -b).
import '../dist/cli/main.js';
