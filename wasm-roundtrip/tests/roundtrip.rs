//! The round trip, run: modules are round-tripped, both the input and the output run in
//! wasmtime, and every export gives the same results (values, traps, host calls, memory).

use wasm_roundtrip::{roundtrip, Options, RoundTripError};
use wasmtime::{Config, Engine, Func, Global, GlobalType, Instance, Linker, Module, Mutability};
use wasmtime::{Store, Val, ValType};

/// A module using what the round trip must preserve: imports (a function, a global),
/// mutable and exported globals, a table with an elem segment and `call_indirect` (with
/// its traps), `memory.size`/`grow`, active and passive data, bulk memory, table
/// `init`/`copy`, `elem.drop`, the start function, `br_table`, loops, and the conversions
/// and sign extensions wasm has instructions for.
const FEATURES: &str = r#"
(module
  (import "env" "host_add" (func $host_add (param i32 i32) (result i32)))
  (import "env" "base" (global $base i32))
  (memory (export "mem") 1 4)
  (global $counter (mut i32) (i32.const 10))
  (global $g64 (export "g64") (mut i64) (i64.const -5))
  (table $t 8 funcref)
  (elem (i32.const 1) $seven $eight $host_add)
  (elem $passive func $eight $seven)
  (data (i32.const 100) "\01\02\03\04\05\06\07\08")
  (data $later "wasm")
  (type $unary (func (result i32)))
  (type $binary (func (param i32 i32) (result i32)))
  (start $init)
  (func $init (global.set $counter (i32.add (global.get $counter) (global.get $base))))
  (func $seven (result i32) (i32.const 7))
  (func $eight (result i32) (i32.const 8))
  (func (export "counter") (result i32) (global.get $counter))
  (func (export "bump") (param i32) (result i32)
    (global.set $counter (i32.add (global.get $counter) (local.get 0)))
    (global.get $counter))
  (func (export "add64") (param i64) (result i64)
    (global.set $g64 (i64.add (global.get $g64) (local.get 0)))
    (global.get $g64))
  (func (export "call_t") (param i32) (result i32)
    (call_indirect (type $unary) (local.get 0)))
  (func (export "call_host") (param i32 i32) (result i32)
    (call_indirect (type $binary) (local.get 0) (local.get 1) (i32.const 3)))
  (func (export "direct_host") (param i32) (result i32)
    (call $host_add (local.get 0) (i32.const 1000)))
  (func (export "peek") (param i32) (result i32) (i32.load offset=2 (local.get 0)))
  (func (export "peek8") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store16 offset=1 (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "bulk") (result i32)
    (memory.fill (i32.const 200) (i32.const 0x11) (i32.const 8))
    (memory.copy (i32.const 204) (i32.const 100) (i32.const 2))
    (memory.init $later (i32.const 300) (i32.const 1) (i32.const 3))
    (data.drop $later)
    (i32.add (i32.load (i32.const 204)) (i32.load (i32.const 300))))
  (func (export "reinit") (memory.init $later (i32.const 0) (i32.const 0) (i32.const 1)))
  (func (export "tables") (result i32)
    (table.init $t $passive (i32.const 5) (i32.const 0) (i32.const 2))
    (elem.drop $passive)
    (table.copy $t $t (i32.const 7) (i32.const 5) (i32.const 1))
    (i32.add (i32.mul (call_indirect (type $unary) (i32.const 7)) (i32.const 10))
             (table.size $t)))
  (func (export "switch") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get 0)))
      (return (i32.const 100)))
      (return (i32.const 200)))
      (return (i32.const 300)))
    (i32.const -1))
  (func (export "sum_to") (param i32) (result i64)
    (local $acc i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get 0)))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  (func (export "conv") (param f64) (result i32)
    (i32.add (i32.trunc_sat_f64_s (local.get 0)) (i32.extend8_s (i32.trunc_sat_f64_u (local.get 0)))))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "divide") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "fmath") (param f32 f32) (result f32)
    (f32.add (f32.min (local.get 0) (local.get 1)) (f32.sqrt (f32.abs (local.get 1)))))
  (func (export "select") (param i32 i64 i64) (result i64)
    (select (local.get 1) (local.get 2) (local.get 0)))
  (func (export "rot") (param i64 i64) (result i64) (i64.rotr (local.get 0) (local.get 1)))
)
"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_tail_call(true);
    Engine::new(&config).unwrap()
}

/// Instantiate `wasm` with the host's imports.
fn instance(engine: &Engine, wasm: &[u8]) -> (Store<()>, Instance) {
    let module = Module::new(engine, wasm).expect("wasmtime accepts the module");
    let mut store = Store::new(engine, ());
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("env", "host_add", |a: i32, b: i32| a.wrapping_mul(3) + b)
        .unwrap();
    let base = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(32),
    )
    .unwrap();
    linker.define(&mut store, "env", "base", base).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

/// Call `name` with `args`: its results, or "trap".
fn call(store: &mut Store<()>, func: Func, args: &[Val]) -> String {
    let mut results = vec![Val::I32(0); func.ty(&*store).results().len()];
    match func.call(&mut *store, args, &mut results) {
        Ok(()) => format!(
            "{:?}",
            results
                .iter()
                .map(|v| match v {
                    Val::F32(b) => format!("f32:{b:#x}"),
                    Val::F64(b) => format!("f64:{b:#x}"),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        ),
        Err(_) => "trap".to_string(),
    }
}

/// The calls both modules make, in order (state carries over between them).
fn script() -> Vec<(&'static str, Vec<Val>)> {
    use Val::*;
    vec![
        ("counter", vec![]),
        ("bump", vec![I32(5)]),
        ("add64", vec![I64(7)]),
        ("call_t", vec![I32(1)]),
        ("call_t", vec![I32(2)]),
        ("call_t", vec![I32(0)]),
        ("call_t", vec![I32(3)]),
        ("call_t", vec![I32(100)]),
        ("call_host", vec![I32(4), I32(5)]),
        ("direct_host", vec![I32(-3)]),
        ("peek", vec![I32(100)]),
        ("peek8", vec![I32(107)]),
        ("peek", vec![I32(65534)]),
        ("peek", vec![I32(-1)]),
        ("poke", vec![I32(102), I32(0x1234_5678)]),
        ("peek", vec![I32(100)]),
        ("size", vec![]),
        ("grow", vec![I32(2)]),
        ("grow", vec![I32(5)]),
        ("size", vec![]),
        ("peek", vec![I32(65534)]),
        ("bulk", vec![]),
        ("reinit", vec![]),
        ("tables", vec![]),
        ("switch", vec![I32(0)]),
        ("switch", vec![I32(2)]),
        ("switch", vec![I32(-7)]),
        ("sum_to", vec![I32(100_000)]),
        ("conv", vec![F64(2.9f64.to_bits())]),
        ("conv", vec![F64((-1e12f64).to_bits())]),
        ("conv", vec![F64(f64::NAN.to_bits())]),
        ("trunc", vec![F64(1e12f64.to_bits())]),
        ("trunc", vec![F64((-7.5f64).to_bits())]),
        ("divide", vec![I32(i32::MIN), I32(-1)]),
        ("divide", vec![I32(7), I32(0)]),
        ("divide", vec![I32(-7), I32(2)]),
        (
            "fmath",
            vec![F32((-4.0f32).to_bits()), F32(16.0f32.to_bits())],
        ),
        ("select", vec![I32(0), I64(1), I64(2)]),
        ("rot", vec![I64(0x0123_4567_89ab_cdef), I64(68)]),
        ("counter", vec![]),
    ]
}

fn run_script(engine: &Engine, wasm: &[u8]) -> Vec<String> {
    let (mut store, instance) = instance(engine, wasm);
    let mut out = Vec::new();
    for (name, args) in script() {
        let func = instance
            .get_func(&mut store, name)
            .unwrap_or_else(|| panic!("export {name} is missing"));
        out.push(format!(
            "{name}{args:?} = {}",
            call(&mut store, func, &args)
        ));
    }
    // Final memory contents of the first pages.
    let memory = instance
        .get_memory(&mut store, "mem")
        .expect("memory export");
    out.push(format!("{:?}", &memory.data(&store)[..512]));
    out
}

fn check_same(wasm: &[u8], options: &Options) {
    let out = roundtrip(wasm, options).unwrap_or_else(|e| panic!("round trip failed: {e}"));
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&out)
        .expect("the output validates");
    let engine = engine();
    let before = run_script(&engine, wasm);
    let after = run_script(&engine, &out);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "the round-tripped module differs");
    }
    // The script exercises traps and values both.
    assert!(before.iter().any(|l| l.ends_with("trap")));
    assert!(before.iter().any(|l| l.contains("I64(5000050000)")));
}

#[test]
fn every_preserved_feature_behaves_the_same() {
    let wasm = wat::parse_str(FEATURES).unwrap();
    check_same(&wasm, &Options::default());
}

#[test]
fn with_the_mid_end_too() {
    let wasm = wat::parse_str(FEATURES).unwrap();
    check_same(
        &wasm,
        &Options {
            optimize: true,
            ..Options::default()
        },
    );
}

#[test]
fn imports_exports_and_segments_are_kept() {
    let wasm = wat::parse_str(FEATURES).unwrap();
    let out = roundtrip(&wasm, &Options::default()).unwrap();
    let engine = engine();
    let (a, b) = (
        Module::new(&engine, &wasm).unwrap(),
        Module::new(&engine, &out).unwrap(),
    );
    let names = |m: &Module| {
        let mut imports: Vec<String> = m
            .imports()
            .map(|i| format!("{}.{}", i.module(), i.name()))
            .collect();
        let mut exports: Vec<String> = m.exports().map(|e| e.name().to_string()).collect();
        imports.sort();
        exports.sort();
        (imports, exports)
    };
    assert_eq!(names(&a), names(&b));
}

fn error_of(wat_text: &str) -> RoundTripError {
    let wasm = wat::parse_str(wat_text).unwrap();
    roundtrip(&wasm, &Options::default()).expect_err("the round trip refuses the module")
}

#[test]
fn missing_features_are_reported_not_dropped() {
    let simd = error_of(
        "(module (func (export \"f\") (param v128) (result v128) (i8x16.add (local.get 0) (local.get 0))))",
    );
    assert!(simd.is_unsupported(), "{simd}");
    assert!(simd.to_string().contains("vector"), "{simd}");
    let two = error_of("(module (memory 1) (memory 1))");
    assert!(two.is_unsupported(), "{two}");
    assert!(
        two.to_string().contains("multi-memory") || two.to_string().contains("memor"),
        "{two}"
    );
    let refs = error_of(
        "(module (table 1 externref) (func (export \"f\") (param externref) (table.set 0 (i32.const 0) (local.get 0))))",
    );
    assert!(refs.is_unsupported(), "{refs}");
}

#[test]
fn invalid_input_is_an_error() {
    let err = roundtrip(b"\0asm\x01\0\0\0\x01\x05", &Options::default()).expect_err("truncated");
    assert!(matches!(err, RoundTripError::Invalid(_)), "{err}");
    let err = roundtrip(b"not wasm", &Options::default()).expect_err("garbage");
    assert!(!err.to_string().is_empty());
}
