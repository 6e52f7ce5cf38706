// Drives wasm-emit/tests/js/refs.clif: objects swapped in value slots across a loop that
// calls back into JavaScript, then stored in an exported global.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const seen = [];
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {
  env: { visit: (o) => { seen.push(o); return 0; } },
});
const { hold, slot } = instance.exports;
const a = { id: "a" }, b = { id: "b" };

// Three iterations: the host sees a, b, a; slots end swapped three times: ss0 = b.
assert.equal(hold(a, b, 3), b);              // odd count: select picks the object
assert.deepEqual(seen, [a, b, a]);
assert.ok(seen[0] === a && seen[1] === b && seen[2] === a);
assert.equal(slot.value, b);
seen.length = 0;
assert.equal(hold(a, b, 2), null);           // even count: select picks ref.null
assert.equal(slot.value, a);
console.log("ok");
