//! JavaScript host (node/V8): JS objects go into exported functions, live in value slots,
//! globals and tables, and the very same objects come back (`===`). Skips with a message
//! where node is not installed; CI installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn node() -> Option<&'static str> {
    Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "node")
}

fn root() -> PathBuf {
    Path::new(&manifest_dir()).join("..")
}

fn compile(clif: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_clif2wasm"))
        .args([
            "compile",
            clif.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn run_node(script: &Path, wasm: &Path) -> String {
    let Some(node) = node() else { unreachable!() };
    let o = Command::new(node).arg(script).arg(wasm).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "node failed:\n{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn js_objects_round_trip_through_off_heap_places() {
    if node().is_none() {
        // CI sets REQUIRE_NODE so that a missing node fails instead of skipping.
        assert!(
            std::env::var_os("REQUIRE_NODE").is_none(),
            "node is required but not installed"
        );
        eprintln!("SKIPPED: node is not installed (the JS-host test needs node/V8)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("offheap-js-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join("offheap.wasm");
    compile(&root().join("examples/offheap.clif"), &wasm);
    let out = run_node(&root().join("examples/offheap.mjs"), &wasm);
    assert!(out.contains("round trip ok"), "{out}");

    let wasm = dir.join("refs.wasm");
    compile(&root().join("wasm-emit/tests/js/refs.clif"), &wasm);
    let out = run_node(&root().join("wasm-emit/tests/js/refs.mjs"), &wasm);
    assert!(out.contains("ok"), "{out}");
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
