//! Every `# run: f(args) == expected` line of `programs/*.toy` runs natively through
//! cranelift-jit and as wasm through wasm-emit's `WasmModule` (wasm32 and wasm64, in
//! wasmtime). The result must be the expected one, and the printed values and final
//! globals must be the same in all three runs.

use std::path::Path;

struct RunLine {
    entry: String,
    args: Vec<i64>,
    expected: i64,
}

fn parse_run(line: &str) -> Option<RunLine> {
    let rest = line.trim().strip_prefix("# run:")?.trim();
    let (call, expected) = rest.split_once("==")?;
    let (entry, args) = call.trim().split_once('(')?;
    let args = args.trim().strip_suffix(')')?;
    let args = args
        .split(',')
        .filter(|a| !a.trim().is_empty())
        .map(|a| a.trim().parse().expect("integer argument"))
        .collect();
    Some(RunLine {
        entry: entry.trim().to_string(),
        args,
        expected: expected.trim().parse().expect("integer result"),
    })
}

#[test]
fn jit_and_wasm_agree_on_every_program() {
    let dir = Path::new(&manifest_dir()).join("programs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("programs directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toy"))
        .collect();
    files.sort();
    let mut lines = 0;
    for file in &files {
        let src = std::fs::read_to_string(file).expect("readable program");
        for run in src.lines().filter_map(parse_run) {
            let what = format!("{}: {}({:?})", file.display(), run.entry, run.args);
            let jit = toy::run_jit(&src, &run.entry, &run.args)
                .unwrap_or_else(|e| panic!("{what}: JIT: {e}"));
            assert_eq!(jit.result, run.expected, "{what}: JIT result");
            for triple in ["wasm32-unknown-unknown", "wasm64-unknown-unknown"] {
                let wasm = toy::run_wasm(&src, triple, &run.entry, &run.args)
                    .unwrap_or_else(|e| panic!("{what}: {triple}: {e}"));
                assert_eq!(wasm, jit, "{what}: {triple} against the JIT");
            }
            lines += 1;
        }
    }
    assert!(
        files.len() >= 2 && lines >= 20,
        "{lines} run lines in {} files",
        files.len()
    );
}

#[test]
fn errors_in_programs_are_reported() {
    let bad = "fn main() { return missing; }";
    let err = toy::run_wasm(bad, "wasm32-unknown-unknown", "main", &[]).unwrap_err();
    assert!(err.contains("unknown name `missing`"), "{err}");
    let err = toy::run_jit("fn main( { }", "main", &[]).unwrap_err();
    assert!(err.contains("line 1"), "{err}");
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
