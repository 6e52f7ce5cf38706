//! The benchmark shapes (`benches::shapes`) compute in wasm what Cranelift's interpreter
//! computes: the placement, liveness and coloring of thousands of live values, deep loop
//! nests, wide switches, irreducible regions and call chains, checked by running them.

use benches::shapes::generate;
use benches::{OptLevel, Workload};
use cranelift_codegen::data_value::DataValue;
use fuzzgen::interp::{Outcome, WasmState};
use wasm_emit::runtest::Executor;

/// Lower `w` at `opt_level` and call its first function with `args` in wasmtime.
fn run_in_wasmtime(w: &Workload, opt_level: OptLevel, args: &[DataValue]) -> Vec<DataValue> {
    let bytes = benches::try_lower_at(w, false, opt_level)
        .unwrap_or_else(|e| panic!("{} at {opt_level:?}: {e}", w.name));
    let f = &w.functions[0];
    let name = wasm_emit::export_name(&f.name);
    let exec = Executor::new().unwrap();
    let module = exec.load(&bytes).unwrap();
    exec.invoke(&module, &name, &f.signature, args)
        .unwrap_or_else(|e| panic!("{} at {opt_level:?} in wasmtime: {e}", w.name))
}

/// Lower shape `shape` at size `n`, call its first function with `args` in wasmtime and
/// in the interpreter, and compare.
fn same_as_interpreter(shape: &str, n: usize, args: &[DataValue]) {
    let w = generate(shape, n);
    let wasm = run_in_wasmtime(&w, OptLevel::Speed, args);
    let name = wasm_emit::export_name(&w.functions[0].name);
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

#[test]
fn shapes_over_the_local_limit_agree_at_both_opt_levels() {
    // More values in locals than the 50,000 engines accept (about 70,000 and 55,000), so
    // opt level none shares locals in the order the code is emitted (`sharing`): loop
    // counters and accumulators across 32-deep nests (each loop runs once here; the e2e
    // test `opt_level::none_keeps_a_value_read_in_a_loop_until_the_loop_branches_back_for_
    // the_last_time` iterates), values live across a diamond. Too large for the
    // interpreter: opt level speed, whose locals come from liveness and coloring, is the
    // reference.
    let x = DataValue::I64(0x1234_5678_9abc);
    let cases = [
        ("loop-nest", 400_000, vec![x.clone(), DataValue::I32(1)]),
        ("live-values", 110_000, vec![x]),
    ];
    for (shape, n, args) in cases {
        let w = generate(shape, n);
        let none = run_in_wasmtime(&w, OptLevel::None, &args);
        let speed = run_in_wasmtime(&w, OptLevel::Speed, &args);
        assert_eq!(none, speed, "{shape}-{n}");
    }
}
