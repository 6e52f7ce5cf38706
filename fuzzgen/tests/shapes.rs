//! The benchmark shapes (`benches::shapes`) compute in wasm what Cranelift's interpreter
//! computes: the placement, liveness and coloring of thousands of live values, deep loop
//! nests, wide switches, irreducible regions and call chains, checked by running them.

use benches::shapes::generate;
use cranelift_codegen::data_value::DataValue;
use fuzzgen::interp::{Outcome, WasmState};
use wasm_emit::runtest::Executor;

/// Lower shape `shape` at size `n`, call its first function with `args` in wasmtime and
/// in the interpreter, and compare.
fn same_as_interpreter(shape: &str, n: usize, args: &[DataValue]) {
    let w = generate(shape, n);
    let bytes = benches::try_lower(&w, false).unwrap_or_else(|e| panic!("{shape}-{n}: {e}"));
    let f = &w.functions[0];
    let name = wasm_emit::export_name(&f.name);
    let exec = Executor::new().unwrap();
    let module = exec.load(&bytes).unwrap();
    let wasm = exec
        .invoke(&module, &name, &f.signature, args)
        .unwrap_or_else(|e| panic!("{shape}-{n} in wasmtime: {e}"));
    let mut state = WasmState::new(&w.functions, &w.decls, 1 << 21, 1 << 20);
    match state.run(&format!("%{name}"), args, 50_000_000) {
        Outcome::Values(values) => assert_eq!(wasm, values, "{shape}-{n}"),
        other => panic!("{shape}-{n} in the interpreter: {other:?}"),
    }
}

#[test]
fn shapes_run_as_the_interpreter_says() {
    let (x, y) = (DataValue::I64(0x1234_5678_9abc), DataValue::I64(-77));
    same_as_interpreter("straight", 3_000, &[x.clone(), y.clone()]);
    // Four levels looping three times each, then 32 levels looping once.
    same_as_interpreter("loop-nest", 100, &[x.clone(), DataValue::I32(3)]);
    same_as_interpreter("loop-nest", 3_000, &[x.clone(), DataValue::I32(1)]);
    for case in [0, 7, 1_000_000] {
        same_as_interpreter("br-table", 2_000, &[DataValue::I32(case), y.clone()]);
    }
    for start in [0, 1, 5] {
        same_as_interpreter("irreducible", 1_000, &[DataValue::I64(start)]);
    }
    // 2,000 values live at once, twice.
    same_as_interpreter("live-values", 8_000, std::slice::from_ref(&x));
    same_as_interpreter("call-chain", 600, &[y]);
}
