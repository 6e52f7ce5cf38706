//! `Compiler`: storage kept from one compilation to the next changes nothing in what is
//! compiled. Modules of different sizes, opt levels, targets and options, compiled in turn
//! with one compiler, come out byte for byte as they do from compilers of their own.

use crate::harness::{int, load, parse};
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::types;
use std::fmt::Write;
use wasm_emit::{compile_module, Compiler, OptLevel, Options, Target};

/// A loop summing `n` steps of a chain of additions, with a block parameter per round.
fn looping(n: usize) -> String {
    let mut text = String::from(
        "function %looping(i64, i32) -> i64 {\nblock0(v0: i64, v1: i32):\n    jump block1(v0, v1)\nblock1(v2: i64, v3: i32):\n",
    );
    let mut last = "v2".to_string();
    for k in 0..n {
        let v = format!("v{}", 10 + k);
        writeln!(text, "    {v} = iadd {last}, {last}").unwrap();
        last = v;
    }
    writeln!(
        text,
        "    v6 = iconst.i32 -1\n    v4 = iadd v3, v6\n    brif v4, block1({last}, v4), block2({last})\nblock2(v5: i64):\n    return v5\n}}"
    )
    .unwrap();
    text
}

const SMALL: &str = "function %f(f64, i32) -> f64 {
block0(v0: f64, v1: i32):
    v2 = fcvt_from_sint.f64 v1
    v3 = fadd v0, v2
    v6 = iconst.i32 0
    v4 = icmp eq v1, v6
    brif v4, block1(v3), block1(v0)
block1(v5: f64):
    return v5
}";

#[test]
fn a_reused_compiler_compiles_each_module_as_a_fresh_one_does() {
    // Large first (the storage is sized for it), then smaller, then large again; one
    // function past the engines' local limit at opt level none (locals shared as values
    // die).
    let modules = [
        looping(3_000),
        SMALL.to_string(),
        looping(60_000),
        looping(10),
    ];
    let mut compiler = Compiler::new();
    let mut compared = 0;
    let targets = [Target::wasm32(), Target::wasm64()];
    for (opt_level, target) in [OptLevel::None, OptLevel::Speed].into_iter().zip(targets) {
        for local_names in [true, false] {
            let options = Options {
                opt_level,
                local_names,
                target: target.clone(),
                ..Options::default()
            };
            for text in &modules {
                let funcs = parse(text);
                let decls = Default::default();
                let fresh = compile_module(&funcs, &decls, &options).unwrap();
                let reused = compiler.compile_module(&funcs, &decls, &options).unwrap();
                assert!(
                    fresh == reused,
                    "{opt_level:?} on {target:?}, local names {local_names}: {} bytes fresh, {} reused",
                    fresh.len(),
                    reused.len()
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 16);
}

#[test]
fn a_compiler_goes_on_after_an_error() {
    let mut compiler = Compiler::new();
    let options = Options::default();
    let decls = Default::default();
    // A call to a function of another signature than its declaration: an error.
    let bad = parse(
        "function %caller(i32) -> i32 {
    fn0 = %callee(i32) -> i32
block0(v0: i32):
    v1 = call fn0(v0)
    return v1
}
function %callee(i64) -> i64 {
block0(v0: i64):
    return v0
}",
    );
    assert!(compiler.compile_module(&bad, &decls, &options).is_err());
    let good = parse(SMALL);
    let fresh = compile_module(&good, &decls, &options).unwrap();
    assert!(fresh == compiler.compile_module(&good, &decls, &options).unwrap());
}

#[test]
fn modules_from_a_reused_compiler_run_as_the_interpreter_does() {
    // The storage is first sized and dirtied by a function past the local limit.
    let mut compiler = Compiler::new();
    let decls = Default::default();
    let big = parse(&looping(60_000));
    for opt_level in [OptLevel::None, OptLevel::Speed] {
        let options = Options {
            opt_level,
            ..Options::default()
        };
        compiler.compile_module(&big, &decls, &options).unwrap();
    }
    for text in [looping(200), SMALL.to_string()] {
        let funcs = parse(&text);
        let mut at = |opt_level| {
            let options = Options {
                opt_level,
                ..Options::default()
            };
            compiler.compile_module(&funcs, &decls, &options).unwrap()
        };
        let (speed, none) = (at(OptLevel::Speed), at(OptLevel::None));
        let compiled = load(funcs.clone(), &speed, &none);
        for n in [1, 2, 7] {
            match funcs[0].name.to_string().as_str() {
                "%looping" => {
                    compiled.agree("looping", &[int(types::I64, 3 * n - 5), int(types::I32, n)])
                }
                _ => compiled.agree(
                    "f",
                    &[
                        DataValue::F64((n as f64 / 3.0).into()),
                        int(types::I32, n - 2),
                    ],
                ),
            }
        }
    }
}
