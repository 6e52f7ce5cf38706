// Runs a WASI (preview1) command module under node and reports its run time.
// Usage: node --no-warnings corpus/run-wasi.mjs X.wasm [args...]
// The program's stdout/stderr pass through; "time N ms" goes to stderr and
// the program's exit code becomes node's.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --no-warnings run-wasi.mjs X.wasm [args...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {} });
const module = new WebAssembly.Module(readFileSync(file));
const instance = new WebAssembly.Instance(module, wasi.getImportObject());
const t = performance.now();
const code = wasi.start(instance);
console.error(`time ${(performance.now() - t).toFixed(1)} ms`);
process.exitCode = code;
