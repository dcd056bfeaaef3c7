// Runs before every test file. tfjs's cpu backend prints an "install our node backend" banner the
// first time a test file uses it without selecting a backend (the `lra` program selects one and
// sets tfjs quiet: backend/quiet-tfjs.ts). Dropping that one message here costs nothing; importing
// tfjs to set its PROD flag would add a second to every test file that never uses tfjs.
const banner = 'Hi, looks like you are running TensorFlow.js in Node.js';
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].includes(banner)) return;
  warn(...args);
};

// The `lra` processes tests start run their wasm backend on one thread unless a test passes
// --threads (packages/trainer/src/cli/threads.ts): many run side by side on few cores.
process.env['LRA_THREADS'] ??= '1';
