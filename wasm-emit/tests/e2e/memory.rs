//! Loads and stores of every width and extension, at positive and negative offsets, in
//! little- and big-endian, into stack slots in linear memory.

use crate::harness::{build, build_for, int_samples, Rng};
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::types;
use std::fmt::Write;

/// Store a value of `sty` at `ss0+off` (optionally big-endian), then read every width back.
fn store_then_load(endian: &str) -> String {
    let mut s = String::new();
    let loads = [
        ("load.i8", "i8"),
        ("load.i16", "i16"),
        ("load.i32", "i32"),
        ("load.i64", "i64"),
        ("uload8.i16", "i16"),
        ("sload8.i16", "i16"),
        ("uload8.i32", "i32"),
        ("sload8.i32", "i32"),
        ("uload16.i32", "i32"),
        ("sload16.i32", "i32"),
        ("uload8.i64", "i64"),
        ("sload8.i64", "i64"),
        ("uload16.i64", "i64"),
        ("sload16.i64", "i64"),
        ("uload32.i64", "i64"),
        ("sload32.i64", "i64"),
        ("load.f32", "f32"),
        ("load.f64", "f64"),
    ];
    let stores = [
        ("store", "i64"),
        ("istore8", "i64"),
        ("istore16", "i32"),
        ("istore32", "i64"),
        ("store", "i16"),
        ("store", "i8"),
    ];
    for (si, (sop, sty)) in stores.iter().enumerate() {
        for (li, (lop, lty)) in loads.iter().enumerate() {
            writeln!(
                s,
                "function %s{si}_l{li}({sty}) -> {lty} {{
                     ss0 = explicit_slot 32
                 block0(v0: {sty}):
                     v1 = stack_addr.i64 ss0
                     v2 = iconst.i64 -1
                     store v2, v1
                     store v2, v1+8
                     v3 = iconst.i64 11
                     v4 = iadd v1, v3
                     {sop} {endian} v0, v4
                     v5 = {lop} {endian} v1+11
                     return v5
                 }}"
            )
            .unwrap();
        }
    }
    s
}

#[test]
fn every_width_and_extension_little_endian() {
    check_store_load("");
}

#[test]
fn every_width_and_extension_big_endian() {
    check_store_load("big");
}

fn check_store_load(endian: &str) {
    let m = build(&store_then_load(endian));
    let mut rng = Rng::new(71);
    let stores = [
        types::I64,
        types::I64,
        types::I32,
        types::I64,
        types::I16,
        types::I8,
    ];
    for (si, sty) in stores.iter().enumerate() {
        for v in int_samples(*sty, &mut rng, 6) {
            for li in 0..18 {
                m.agree(&format!("s{si}_l{li}"), &[v.clone()]);
            }
        }
    }
}

#[test]
fn float_stores_round_trip_bit_exactly() {
    let text = "function %f32(f32) -> f32 {\n    ss0 = explicit_slot 8\nblock0(v0: f32):\n    v1 = stack_addr.i64 ss0\n    store big v0, v1\n    v2 = load.f32 big v1\n    return v2\n}\n\
                function %f64(f64) -> i64 {\n    ss0 = explicit_slot 8\nblock0(v0: f64):\n    v1 = stack_addr.i64 ss0\n    store v0, v1\n    v2 = load.i64 v1\n    return v2\n}\n";
    let m = build(text);
    let mut rng = Rng::new(73);
    for v in crate::harness::float_samples(types::F32, &mut rng, 10) {
        m.expect("f32", &[v.clone()], &[v]);
    }
    for v in crate::harness::float_samples(types::F64, &mut rng, 10) {
        m.agree("f64", &[v]);
    }
}

/// Negative offsets are added to the address (wasm offsets are unsigned). Checked against
/// known values: the interpreter traps on negative offsets from stack addresses.
#[test]
fn negative_offsets() {
    let text = "function %neg(i64) -> i64, i32 {\n    ss0 = explicit_slot 32\nblock0(v0: i64):\n    v1 = stack_addr.i64 ss0\n    v2 = iconst.i64 24\n    v3 = iadd v1, v2\n    store v0, v3-16\n    v4 = load.i64 v1+8\n    v5 = load.i32 v3-12\n    return v4, v5\n}\n";
    let m = build(text);
    let v = 0x1122_3344_5566_7788i64;
    m.expect(
        "neg",
        &[DataValue::I64(v)],
        &[DataValue::I64(v), DataValue::I32(0x1122_3344)],
    );
}

/// On wasm32, addresses are i32; a 64-bit address that does not fit traps.
#[test]
fn wasm32_addresses() {
    let text = "function %rt(i32) -> i32 {\n    ss0 = explicit_slot 8\nblock0(v0: i32):\n    v1 = stack_addr.i32 ss0\n    store v0, v1+4\n    v2 = load.i32 v1+4\n    return v2\n}\n\
                function %wide(i64) -> i8 {\nblock0(v0: i64):\n    v1 = load.i8 v0\n    return v1\n}\n";
    let m = build_for(text, wasm_emit::Target::wasm32());
    m.expect("rt", &[DataValue::I32(-5)], &[DataValue::I32(-5)]);
    m.expect_trap("wide", &[DataValue::I64(1 << 32)]);
    m.expect("wide", &[DataValue::I64(100)], &[DataValue::I8(0)]);
}

/// Regression (found by the round trip): `uload32`/`sload32` without a type suffix have no
/// controlling type; they were lowered as `i32.load` into an i64 local.
#[test]
fn unsuffixed_load32_is_i64() {
    let text = "function %u(i32) -> i64, i64 {\n    ss0 = explicit_slot 8\nblock0(v0: i32):\n    v1 = stack_addr.i64 ss0\n    store v0, v1\n    v2 = uload32 v1\n    v3 = sload32 v1\n    return v2, v3\n}\n";
    let m = build(text);
    m.expect(
        "u",
        &[DataValue::I32(-2)],
        &[DataValue::I64(0xffff_fffe), DataValue::I64(-2)],
    );
    m.agree("u", &[DataValue::I32(-2)]);
}
