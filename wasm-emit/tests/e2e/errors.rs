//! Bad input never panics and never yields a module: every error names the function, the
//! instruction as CLIF, the rule and a hint.

use crate::harness::parse;
use cranelift_codegen::ir;
use wasm_emit::{compile, ErrorKind, Feature, Options, Target};

fn error_of(text: &str, options: &Options) -> wasm_emit::Error {
    let funcs = parse(text);
    match compile(&funcs, options) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn unsupported(text: &str, feature: Feature, inst_contains: &str) {
    let e = error_of(text, &Options::default());
    assert_eq!(e.kind, ErrorKind::Unsupported(feature), "{e}");
    assert_eq!(e.function, "%f");
    if !inst_contains.is_empty() {
        let inst = e
            .inst_text
            .as_deref()
            .unwrap_or_else(|| panic!("no instruction in {e}"));
        assert!(inst.contains(inst_contains), "{inst}");
    }
    assert!(e.hint.is_some(), "no hint in {e}");
    let message = e.to_string();
    assert!(message.starts_with("in function %f"), "{message}");
}

#[test]
fn features_outside_the_backend_are_named() {
    unsupported(
        "function %f(i64) -> i64 {\nblock0(v0: i64):\n    v1 = uextend.i128 v0\n    v2 = ireduce.i64 v1\n    return v2\n}",
        Feature::I128,
        "uextend.i128",
    );
    unsupported(
        "function %f(i32) -> i32 {\nblock0(v0: i32):\n    v1 = splat.i32x4 v0\n    v2 = extractlane v1, 0\n    return v2\n}",
        Feature::Vector,
        "splat",
    );
    unsupported(
        "function %f(i64) -> i64 {\nblock0(v0: i64):\n    v1 = atomic_load.i64 v0\n    return v1\n}",
        Feature::Atomics,
        "atomic_load",
    );
    unsupported(
        "function %f(f32) -> f32 {\nblock0(v0: f32):\n    v1 = fdemote.f16 v0\n    v2 = fpromote.f32 v1\n    return v2\n}",
        Feature::F16,
        "fdemote.f16",
    );
    unsupported(
        "function %f(i64) -> i64 {\n    dss0 = explicit_dynamic_slot dt0\n    dt0 = i32x4*gv0\n    gv0 = dyn_scale_target_const.i32x4\nblock0(v0: i64):\n    return v0\n}",
        Feature::DynamicStackSlots,
        "",
    );
    unsupported(
        "function %f(i64) -> i64 {\n    fn0 = %Memcpy(i64, i64, i64) -> i64\nblock0(v0: i64):\n    v1 = call fn0(v0, v0, v0)\n    return v1\n}",
        Feature::Other("libcall"),
        "call fn0",
    );
}

#[test]
fn a_functions_own_unsupported_signature_is_named() {
    // A function's own signature is checked where the module's definitions are read, not
    // again in its lowering: the error still names that function (after a supported one)
    // and its signature, and no module comes out.
    let supported = "function %g(i64) -> i64 {\nblock0(v0: i64):\n    return v0\n}\n";
    for (f, feature) in [
        (
            "function %f(i128) -> i64 {\nblock0(v0: i128):\n    v1 = ireduce.i64 v0\n    return v1\n}",
            Feature::I128,
        ),
        (
            "function %f(f16) -> f16 {\nblock0(v0: f16):\n    return v0\n}",
            Feature::F16,
        ),
    ] {
        let e = error_of(&format!("{supported}{f}"), &Options::default());
        assert_eq!(e.kind, ErrorKind::Unsupported(feature), "{e}");
        assert_eq!(e.function, "%f", "{e}");
        assert!(e.to_string().contains("signature"), "{e}");
        assert!(e.hint.is_some(), "no hint in {e}");
    }
}

#[test]
fn invalid_clif_is_rejected_by_the_verifier() {
    // A use of a value that is not defined on every path.
    let e = error_of(
        "function %f(i32) -> i32 {\nblock0(v0: i32):\n    brif v0, block1, block2\nblock1:\n    v1 = iconst.i32 1\n    jump block2\nblock2:\n    return v1\n}",
        &Options::default(),
    );
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    assert!(e.message.starts_with("invalid CLIF"), "{e}");
}

#[test]
fn mismatched_callee_signatures_are_rejected() {
    let e = error_of(
        "function %g(i32) -> i32 {\nblock0(v0: i32):\n    return v0\n}\n\
         function %f(i64) -> i64 {\n    fn0 = %g(i64) -> i64\nblock0(v0: i64):\n    v1 = call fn0(v0)\n    return v1\n}",
        &Options::default(),
    );
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    assert_eq!(e.function, "%f");
    assert!(e.inst_text.as_deref().unwrap().contains("call fn0"));
}

#[test]
fn tail_calls_must_return_what_the_caller_returns() {
    let e = error_of(
        "function %g(i32) -> i64 tail {\nblock0(v0: i32):\n    v1 = uextend.i64 v0\n    return v1\n}\n\
         function %f(i32) -> i32 tail {\n    fn0 = %g(i32) -> i64 tail\nblock0(v0: i32):\n    return_call fn0(v0)\n}",
        &Options::default(),
    );
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    assert_eq!(e.function, "%f");
}

#[test]
fn duplicate_function_names_are_rejected() {
    let text = "function %f() {\nblock0:\n    return\n}\n";
    let mut funcs = parse(text);
    funcs.push(funcs[0].clone());
    let e = compile(&funcs, &Options::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[test]
fn non_wasm_targets_are_a_configuration_error() {
    let e = Target::from_triple("x86_64-unknown-linux-gnu".parse().unwrap()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.to_string().contains("x86_64"));
}

/// Regression (found by the `parse_lower` fuzz target): a global value derived from an
/// undeclared one made Cranelift's verifier index out of bounds.
#[test]
fn derived_global_value_of_nothing_is_an_error() {
    let text = "function %f() -> i64 {\n    gv1 = iadd_imm.i64 gv5, 8\nblock0:\n    v1 = iconst.i64 0\n    return v1\n}\n";
    let e = error_of(text, &Options::default());
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    assert!(e.to_string().contains("gv1 is derived from gv5"), "{e}");
}

/// Wasm names are UTF-8, and Cranelift panics printing a test-case name that is not: a
/// function or callee so named is an error, not a panic.
#[test]
fn names_that_are_not_utf8_are_rejected() {
    let mut funcs = parse("function %f() {\nblock0:\n    return\n}\n");
    funcs[0].name = ir::UserFuncName::testcase([b'f', 0xff]);
    let e = compile(&funcs, &Options::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    assert!(e.to_string().contains("UTF-8"), "{e}");

    let text = "function %g() {\n    sig0 = ()\n    fn0 = %callee sig0\nblock0:\n    call fn0()\n    return\n}\n";
    let mut funcs = parse(text);
    let ext = funcs[0].dfg.ext_funcs.keys().next().unwrap();
    funcs[0].dfg.ext_funcs[ext].name = ir::ExternalName::testcase([b'c', 0xfe]);
    let e = compile(&funcs, &Options::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
    assert!(e.to_string().contains("UTF-8"), "{e}");
}
