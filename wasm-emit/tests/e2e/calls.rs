//! Calls: direct, indirect through `func_addr`, multiple results, tail calls, recursion
//! through the shadow stack, and imports.

use crate::harness::build;
use cranelift_codegen::data_value::DataValue;

#[test]
fn direct_calls_recursion_and_multiple_results() {
    let m = build(
        "function %fib(i64) -> i64 {
             fn0 = %fib(i64) -> i64
         block0(v0: i64):
             v1 = iconst.i64 2
             v2 = icmp ult v0, v1
             brif v2, block1, block2
         block1:
             return v0
         block2:
             v3 = iconst.i64 1
             v4 = isub v0, v3
             v5 = call fn0(v4)
             v6 = isub v4, v3
             v7 = call fn0(v6)
             v8 = iadd v5, v7
             return v8
         }
         function %divmod(i32, i32) -> i32, i32, i8 {
         block0(v0: i32, v1: i32):
             v2 = udiv v0, v1
             v3 = urem v0, v1
             v4 = icmp ugt v2, v3
             return v2, v3, v4
         }
         function %use_divmod(i32, i32) -> i32 {
             fn0 = %divmod(i32, i32) -> i32, i32, i8
         block0(v0: i32, v1: i32):
             v2, v3, v4 = call fn0(v0, v1)
             v5 = uextend.i32 v4
             v6 = iconst.i32 100
             v7 = imul v2, v6
             v8 = iadd v7, v3
             v9 = iadd v8, v5
             return v9
         }",
    );
    for n in [0, 1, 2, 10, 20] {
        m.agree("fib", &[DataValue::I64(n)]);
    }
    for (a, b) in [(17, 5), (100, 7), (3, 9), (5, 0)] {
        m.agree("divmod", &[DataValue::I32(a), DataValue::I32(b)]);
        m.agree("use_divmod", &[DataValue::I32(a), DataValue::I32(b)]);
    }
}

#[test]
fn func_addr_and_call_indirect() {
    let m = build(
        "function %double(i32) -> i32 {
         block0(v0: i32):
             v1 = iadd v0, v0
             return v1
         }
         function %square(i32) -> i32 {
         block0(v0: i32):
             v1 = imul v0, v0
             return v1
         }
         function %apply(i8, i32) -> i32 {
             sig5 = (i32) -> i32
             fn0 = %double(i32) -> i32
             fn1 = %square(i32) -> i32
         block0(v0: i8, v1: i32):
             v2 = func_addr.i64 fn0
             v3 = func_addr.i64 fn1
             v4 = select v0, v2, v3
             v5 = call_indirect sig5, v4(v1)
             return v5
         }
         function %same_pointer() -> i8 {
             fn0 = %double(i32) -> i32
         block0:
             v0 = func_addr.i64 fn0
             v1 = func_addr.i64 fn0
             v2 = icmp eq v0, v1
             return v2
         }
         function %ceil_indirect(f32) -> f32 {
             fn0 = %CeilF32(f32) -> f32
             sig5 = (f32) -> f32
         block0(v0: f32):
             v1 = func_addr.i64 fn0
             v2 = call_indirect sig5, v1(v0)
             return v2
         }",
    );
    for (s, x) in [(0, 7), (1, 7), (1, -3), (0, 100000)] {
        m.agree("apply", &[DataValue::I8(s), DataValue::I32(x)]);
    }
    m.expect("same_pointer", &[], &[DataValue::I8(1)]);
    m.expect(
        "ceil_indirect",
        &[DataValue::F32(0.5f32.into())],
        &[DataValue::F32(1.0f32.into())],
    );
}

/// Millions of tail calls run in constant wasm stack (a plain call chain this deep would
/// exhaust wasmtime's stack and trap).
#[test]
fn millions_of_tail_calls_do_not_grow_the_stack() {
    let m = build(
        "function %count(i64, i64) -> i64 tail {
             fn0 = %count(i64, i64) -> i64 tail
         block0(v0: i64, v1: i64):
             brif v0, block1, block2
         block1:
             v2 = iconst.i64 1
             v3 = isub v0, v2
             v4 = iadd v1, v0
             return_call fn0(v3, v4)
         block2:
             return v1
         }
         function %ping(i64) -> i64 tail {
             fn0 = %pong(i64) -> i64 tail
             sig5 = (i64) -> i64 tail
         block0(v0: i64):
             brif v0, block1, block2
         block1:
             v1 = iconst.i64 1
             v2 = isub v0, v1
             v3 = func_addr.i64 fn0
             return_call_indirect sig5, v3(v2)
         block2:
             v4 = iconst.i64 42
             return v4
         }
         function %pong(i64) -> i64 tail {
             fn0 = %ping(i64) -> i64 tail
         block0(v0: i64):
             return_call fn0(v0)
         }
         function %with_frame(i64) -> i64 tail {
             ss0 = explicit_slot 64
             fn0 = %with_frame(i64) -> i64 tail
         block0(v0: i64):
             v1 = stack_addr.i64 ss0
             store v0, v1
             v2 = load.i64 v1
             brif v2, block1, block2
         block1:
             v3 = iconst.i64 1
             v4 = isub v2, v3
             return_call fn0(v4)
         block2:
             v5 = get_stack_pointer.i64
             return v5
         }
         function %sp() -> i64 {
         block0:
             v0 = get_stack_pointer.i64
             return v0
         }",
    );
    let n = 5_000_000i64;
    m.expect(
        "count",
        &[DataValue::I64(n), DataValue::I64(0)],
        &[DataValue::I64(n * (n + 1) / 2)],
    );
    m.expect("ping", &[DataValue::I64(3_000_000)], &[DataValue::I64(42)]);
    // Frames are popped before each tail call: after a million calls, the shadow stack
    // holds exactly one 64-byte frame.
    let sp = match m.wasm("sp", &[]) {
        crate::harness::Outcome::Values(v) => crate::harness::as_i64(&v[0]),
        other => panic!("sp: {other:?}"),
    };
    m.expect(
        "with_frame",
        &[DataValue::I64(1_000_000)],
        &[DataValue::I64(sp - 64)],
    );
}

/// Every frame of a deep recursion keeps its own stack slot, and the stack pointer is
/// restored on return.
#[test]
fn recursion_through_shadow_stack_slots() {
    let m = build(
        "function %rec(i64) -> i64 {
             ss0 = explicit_slot 24, align = 8
             fn0 = %rec(i64) -> i64
         block0(v0: i64):
             v1 = stack_addr.i64 ss0
             store v0, v1
             v2 = imul v0, v0
             store v2, v1+8
             brif v0, block1, block2
         block1:
             v3 = iconst.i64 1
             v4 = isub v0, v3
             v5 = call fn0(v4)
             v6 = load.i64 v1
             v7 = load.i64 v1+8
             v8 = iadd v5, v6
             v9 = iadd v8, v7
             return v9
         block2:
             return v0
         }
         function %balanced(i64) -> i8 {
             fn0 = %rec(i64) -> i64
         block0(v0: i64):
             v1 = get_stack_pointer.i64
             v2 = call fn0(v0)
             v3 = get_stack_pointer.i64
             v4 = icmp eq v1, v3
             return v4
         }
         function %big(i64) -> i64 {
             ss0 = explicit_slot 65536
             fn0 = %big(i64) -> i64
         block0(v0: i64):
             v1 = stack_addr.i64 ss0
             store v0, v1
             brif v0, block1, block2
         block1:
             v2 = iconst.i64 1
             v3 = isub v0, v2
             v4 = call fn0(v3)
             v5 = load.i64 v1
             v6 = iadd v4, v5
             return v6
         block2:
             return v0
         }
         function %aligned() -> i64 {
             ss0 = explicit_slot 8
             ss1 = explicit_slot 64, align = 64
         block0:
             v0 = stack_addr.i64 ss1
             v1 = iconst.i64 63
             v2 = band v0, v1
             return v2
         }",
    );
    for n in [0i64, 1, 5, 100] {
        m.agree("rec", &[DataValue::I64(n)]);
    }
    let n = 3000i64;
    let expected: i64 = (1..=n).map(|k| k + k * k).sum();
    m.expect("rec", &[DataValue::I64(n)], &[DataValue::I64(expected)]);
    m.expect("balanced", &[DataValue::I64(500)], &[DataValue::I8(1)]);
    m.expect("big", &[DataValue::I64(10)], &[DataValue::I64(55)]);
    // 64 KiB frames overflow the 1 MiB shadow stack: that must trap, not corrupt memory.
    m.expect_trap("big", &[DataValue::I64(40)]);
    m.expect("aligned", &[], &[DataValue::I64(0)]);
}

#[test]
fn undefined_callees_become_imports() {
    let funcs = crate::harness::parse(
        "function %f(i32) -> i32 {
             fn0 = %host_add(i32, i32) -> i32
         block0(v0: i32):
             v1 = call fn0(v0, v0)
             return v1
         }",
    );
    let bytes = wasm_emit::compile(&funcs, &wasm_emit::Options::default()).unwrap();
    let mut imports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::ImportSection(reader) = payload.unwrap() {
            for import in reader.into_imports() {
                let import = import.unwrap();
                imports.push((import.module.to_string(), import.name.to_string()));
            }
        }
    }
    assert_eq!(imports, [("env".to_string(), "host_add".to_string())]);
}

/// Regression (found by fuzzing `parse_lower`): the reader fills gaps in `fnN` numbering
/// with placeholder callees whose signature is invalid; they must be ignored, not indexed.
#[test]
fn gaps_in_callee_numbering_are_ignored() {
    let m = build(
        "function %callee(i64) -> i64 {
         block0(v0: i64):
             v1 = iconst.i64 10
             v2 = iadd v0, v1
             return v2
         }
         function %caller(i64) -> i64 {
             fn3 = %callee(i64) -> i64
         block0(v0: i64):
             v1 = call fn3(v0)
             return v1
         }",
    );
    m.agree("caller", &[DataValue::I64(5)]);
}

/// Lowering keeps its storage from one function of a module to the next: nothing of a
/// large function (its values, locals, stack slot, aliases, blocks) may show in a small one
/// lowered after it, or the other way round. Callees are found by name without printing it.
#[test]
fn functions_lowered_one_after_another_stay_apart() {
    let big = "function %big(i64) -> i64 {
             ss0 = explicit_slot 8
         block0(v0: i64):
             v1 = iconst.i64 0
             v18 = stack_addr.i64 ss0
             store v0, v18
             jump block1(v1, v1)
         block1(v2: i64, v3: i64):
             v4 = icmp ult v2, v0
             brif v4, block2, block4
         block2:
             v5 = iconst.i64 3
             v6 = urem v2, v5
             v7 = ireduce.i32 v6
             br_table v7, block3(v3), [block3(v2), block5]
         block5:
             v8 -> v2
             v9 = imul v8, v8
             v10 = iadd v3, v9
             jump block6(v10)
         block3(v11: i64):
             v12 = iadd v3, v11
             jump block6(v12)
         block6(v13: i64):
             v14 = iconst.i64 1
             v15 = iadd v2, v14
             jump block1(v15, v13)
         block4:
             v19 = stack_addr.i64 ss0
             v16 = load.i64 v19
             v17 = iadd v3, v16
             return v17
         }";
    let small = "function %small(i64) -> i64 {
             fn0 = %big(i64) -> i64
             fn1 = %tiny(i32) -> i32
         block0(v0: i64):
             v1 = call fn0(v0)
             v2 = ireduce.i32 v0
             v3 = call fn1(v2)
             v4 = uextend.i64 v3
             v5 = iadd v1, v4
             return v5
         }
         function %tiny(i32) -> i32 {
         block0(v0: i32):
             v1 = iconst.i32 7
             v2 = imul v0, v1
             return v2
         }
         function %other(i32) -> i32 {
             fn0 = %tiny(i32) -> i32
         block0(v0: i32):
             v1 = call fn0(v0)
             v2 = iconst.i32 1
             v3 = iadd v1, v2
             return v3
         }";
    // Large first, then small; and small first, then large. `fn0` names another callee
    // in each caller.
    for text in [format!("{big}\n{small}"), format!("{small}\n{big}")] {
        let m = build(&text);
        for n in [0, 1, 2, 5, 17] {
            m.agree("big", &[DataValue::I64(n)]);
            m.agree("small", &[DataValue::I64(n)]);
            m.agree("tiny", &[DataValue::I32(n as i32)]);
            m.agree("other", &[DataValue::I32(n as i32)]);
        }
        m.expect("tiny", &[DataValue::I32(6)], &[DataValue::I32(42)]);
        // `fn0` is %big in %small and %tiny in %other.
        m.expect("other", &[DataValue::I32(6)], &[DataValue::I32(43)]);
    }
}
