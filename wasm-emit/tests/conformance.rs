//! Conformance: Cranelift's own runtests, run through wasm-emit and wasmtime for wasm64.
//!
//! The corpus is not part of this repository. It is looked up in `$CLIF_RUNTESTS` (a folder
//! of `.clif` files), then `$WASMTIME_DIR/cranelift/filetests/filetests/runtests` (a
//! wasmtime checkout), then `../shared/conformance/cranelift-runtests` beside the workspace.
//! Without a corpus the test says so and passes.
//!
//! `conformance/passing.txt` lists every run line that passes (a ratchet): the test fails if
//! one of them stops passing, or if any run line fails outright. When more lines pass,
//! regenerate the list with `UPDATE_CONFORMANCE=1 cargo test --release -p wasm-emit --test
//! conformance`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use wasm_emit::runtest::{self, Executor, Status};
use wasm_emit::{Options, Target};

fn workspace() -> PathBuf {
    Path::new(&manifest_dir()).parent().unwrap().to_path_buf()
}

fn corpus() -> Option<(PathBuf, bool)> {
    if let Ok(dir) = std::env::var("CLIF_RUNTESTS") {
        return Some((PathBuf::from(dir), false));
    }
    if let Ok(dir) = std::env::var("WASMTIME_DIR") {
        return Some((
            Path::new(&dir).join("cranelift/filetests/filetests/runtests"),
            false,
        ));
    }
    let shared = workspace().join("../shared/conformance/cranelift-runtests");
    shared.is_dir().then_some((shared, true))
}

fn clif_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            clif_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "clif") {
            out.push(path);
        }
    }
}

#[test]
fn cranelift_runtests_on_wasm64() {
    let Some((dir, is_default)) = corpus() else {
        eprintln!(
            "SKIPPED: no Cranelift runtest corpus found (set CLIF_RUNTESTS or WASMTIME_DIR, \
             or place it at ../shared/conformance/cranelift-runtests)"
        );
        return;
    };
    let mut files = Vec::new();
    clif_files(&dir, &mut files);
    files.sort();
    let exec = Executor::new().unwrap();
    let options = Options {
        target: Target::wasm64(),
        ..Options::default()
    };
    let mut passing = BTreeSet::new();
    let mut failures = Vec::new();
    let (mut passed, mut unsupported) = (0, 0);
    for path in &files {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path).unwrap();
        let report = runtest::run_file(&exec, &text, &options);
        for line in report.lines {
            match line.status {
                Status::Passed => {
                    passed += 1;
                    passing.insert(format!("{rel}:{}", line.line));
                }
                Status::Failed(message) => failures.push(format!("{rel}:{}: {message}", line.line)),
                Status::Unsupported(_) => unsupported += 1,
            }
        }
    }
    eprintln!(
        "{} files: {passed} passed, {} failed, {unsupported} unsupported",
        files.len(),
        failures.len()
    );
    let ratchet_path = workspace().join("conformance/passing.txt");
    if std::env::var_os("UPDATE_CONFORMANCE").is_some() {
        let mut text =
            String::from("# Run lines of Cranelift's runtests that pass on wasm64 (file:line).\n");
        for line in &passing {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&ratchet_path, text).unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} run lines failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if !is_default {
        eprintln!(
            "the ratchet applies to the shared corpus only; not checked for {}",
            dir.display()
        );
        return;
    }
    let ratchet = std::fs::read_to_string(&ratchet_path).expect("conformance/passing.txt exists");
    let regressed: Vec<&str> = ratchet
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter(|l| !passing.contains(*l))
        .collect();
    assert!(
        regressed.is_empty(),
        "{} run lines that used to pass no longer do:\n{}",
        regressed.len(),
        regressed.join("\n")
    );
}

/// The scan records each instruction's controlling type from a per-opcode table instead
/// of asking Cranelift's `ctrl_typevar`: on every function of the corpus, both agree.
#[test]
fn scan_types_match_ctrl_typevar() {
    let Some((dir, _)) = corpus() else {
        eprintln!("SKIPPED: no Cranelift runtest corpus found");
        return;
    };
    let mut files = Vec::new();
    clif_files(&dir, &mut files);
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let Ok(file) = wasm_emit::text::parse_file(&text) else {
            continue;
        };
        for func in &file.functions {
            let scan = wasm_emit::scan::Scan::compute(func, None).unwrap();
            for k in 0..scan.num_insts() {
                let inst = scan.inst(k);
                let (op, ty) = scan.opcode_and_type(k);
                assert_eq!(op, func.dfg.insts[inst].opcode());
                assert_eq!(
                    ty,
                    func.dfg.ctrl_typevar(inst),
                    "{}: {}",
                    func.name,
                    func.dfg.display_inst(inst)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} instructions checked");
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
