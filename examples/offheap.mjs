// Passes JavaScript objects through the off-heap places of examples/offheap.clif and
// checks that the very same objects (===) come back.
// Usage: node examples/offheap.mjs offheap.wasm
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const bytes = readFileSync(process.argv[2] ?? "offheap.wasm");
const { instance } = await WebAssembly.instantiate(bytes);
const { keep, is_empty, last, counter, objs } = instance.exports;

const alice = { name: "alice" };
const bob = { name: "bob", friends: [alice] };

assert.equal(is_empty(2), 1);
assert.equal(keep(alice, 2), alice);   // through a value slot and the table
assert.equal(last.value, alice);       // the global holds the same object
assert.equal(keep(bob, 3), bob);
assert.equal(last.value, bob);
assert.equal(objs.get(2), alice);      // the table, seen from JavaScript
assert.equal(objs.get(3), bob);
assert.equal(is_empty(2), 0);
assert.equal(counter.value, 2n);       // an i64 global, as a BigInt
console.log(`round trip ok: ${objs.get(2).name} and ${objs.get(3).name} came back, counter = ${counter.value}`);
