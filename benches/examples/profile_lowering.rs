//! Lower one corpus module repeatedly, for a profiler: `perf record` or `valgrind
//! --tool=callgrind` on `cargo run --release -p benches --example profile_lowering NAME [N]`.
fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sql.js-sql-wasm".into());
    let times: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let w = benches::corpus()
        .into_iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no corpus module {name}: run corpus/fetch.sh"));
    for _ in 0..times {
        std::hint::black_box(benches::lower(&w, false));
    }
}
