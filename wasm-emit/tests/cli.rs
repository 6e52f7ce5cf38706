//! The `clif2wasm` command line: outputs, exit codes and error messages.

use std::path::PathBuf;
use std::process::{Command, Output};

fn clif2wasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clif2wasm"))
        .args(args)
        .output()
        .expect("clif2wasm runs")
}

fn temp(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clif2wasm-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ADD: &str = "function %add(i32, i32) -> i32 {\nblock0(v0: i32, v1: i32):\n    v2 = iadd v0, v1\n    return v2\n}\n; run: %add(1, 2) == 3\n; run: %add(-1, 1) == 0\n";

#[test]
fn compile_writes_a_valid_module_and_wat() {
    let input = temp("add.clif", ADD);
    let out = input.with_extension("wasm");
    let o = clif2wasm(&[
        "compile",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let bytes = std::fs::read(&out).unwrap();
    wasmparser::validate(&bytes).expect("valid module");
    let o = clif2wasm(&[
        "compile",
        input.to_str().unwrap(),
        "--wat",
        "-o",
        "-",
        "--target",
        "wasm64",
    ]);
    assert!(o.status.success());
    let wat = text(&o.stdout);
    assert!(wat.contains("(export \"add\""), "{wat}");
    assert!(wat.contains("i32.add"), "{wat}");
}

#[test]
fn run_reports_failures_with_file_and_line() {
    let input = temp("wrong.clif", &ADD.replace("== 0", "== 5"));
    let o = clif2wasm(&["run", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("wrong.clif:7:"), "{out}");
    assert_eq!(
        out.lines().last(),
        Some("1 passed, 1 failed, 0 unsupported")
    );
}

#[test]
fn run_counts_unsupported_features() {
    let input = temp(
        "wide.clif",
        "function %w(i64) -> i64 {\nblock0(v0: i64):\n    v1 = uextend.i128 v0\n    v2 = ireduce.i64 v1\n    return v2\n}\n; run: %w(1) == 1\n",
    );
    let o = clif2wasm(&["run", input.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(
        text(&o.stdout).lines().last(),
        Some("0 passed, 0 failed, 1 unsupported")
    );
}

#[test]
fn errors_name_file_and_line_and_exit_1() {
    let input = temp(
        "bad.clif",
        "function %f(i64) -> i64 {\nblock0(v0: i64):\n    v1 = atomic_load.i64 v0\n    return v1\n}\n",
    );
    let o = clif2wasm(&["compile", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("bad.clif:3:"), "{err}");
    assert!(err.contains("atomic_load"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!input.with_extension("wasm").exists(), "no module on error");

    let syntax = temp(
        "syntax.clif",
        "function %f() {\nblock0:\n    v0 = bogus\n}\n",
    );
    let o = clif2wasm(&["compile", syntax.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("syntax.clif:3:"),
        "{err}"
    );

    let o = clif2wasm(&["compile", "/nonexistent/x.clif"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).starts_with("error: "));
}

#[test]
fn every_offheap_violation_is_printed() {
    let input = temp(
        "escape.clif",
        "function %f(externref) -> i64 {\n    ss0 = value_slot i64\nblock0(v0: externref):\n    v1 = stack_addr.i64 ss0\n    v2 = iconst.i64 8\n    v3 = iadd v1, v2\n    v4 = uextend.i64 v0\n    return v4\n}\n",
    );
    let o = clif2wasm(&["compile", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("error: ")
            && lines[0].contains("escape.clif:6:")
            && lines[0].contains("[address-arithmetic]"),
        "{err}"
    );
    assert!(
        lines[1].contains("escape.clif:7:") && lines[1].contains("[ref-conversion]"),
        "{err}"
    );
    assert!(err.contains("hint: "));
}

/// `--opt-level none` lowers the run lines and passes them (in wasmtime); a level that does
/// not exist is a usage error naming the levels, not a panic.
#[test]
fn opt_level_none_runs_and_unknown_levels_are_refused() {
    // Every value read twice: at opt level none each has a local of its own.
    let chain = "function %c(i32) -> i32 {\nblock0(v0: i32):\n    v1 = iadd v0, v0\n    v2 = imul v1, v1\n    v3 = isub v2, v1\n    v4 = iadd v3, v3\n    return v4\n}\n; run: %c(1) == 4\n; run: %c(3) == 60\n";
    let input = temp("chain.clif", chain);
    let o = clif2wasm(&["run", input.to_str().unwrap(), "--opt-level", "none"]);
    assert!(o.status.success(), "{}", text(&o.stdout));
    assert_eq!(
        text(&o.stdout).lines().last(),
        Some("2 passed, 0 failed, 0 unsupported")
    );
    let o = clif2wasm(&["compile", input.to_str().unwrap(), "--opt-level", "fast"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("`none` or `speed`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
