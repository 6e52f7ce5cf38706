//! Inputs for the lowering benchmarks: CLIF functions from the repository's examples, from
//! Cranelift's runtests (when the corpus is beside the workspace), and generated ones.

use cranelift_codegen::ir;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A named group of functions to lower as one module.
pub struct Workload {
    /// Name shown in reports.
    pub name: String,
    /// The functions.
    pub functions: Vec<ir::Function>,
}

impl Workload {
    /// Number of CLIF instructions in all functions.
    pub fn instructions(&self) -> usize {
        self.functions
            .iter()
            .map(|f| {
                f.layout
                    .blocks()
                    .map(|b| f.layout.block_insts(b).count())
                    .sum::<usize>()
            })
            .sum()
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The supported functions of every runtest file, as one workload (empty without corpus).
pub fn runtests() -> Workload {
    let dir = workspace().join("../shared/conformance/cranelift-runtests");
    let mut functions = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "clif"))
        {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(file) = wasm_emit::text::parse_file(&text) else {
                continue;
            };
            for (i, mut f) in file.functions.into_iter().enumerate() {
                // Unique names, so all functions fit in one module; keep only lowerable ones.
                f.name = ir::UserFuncName::testcase(format!("f{}_{i}", functions.len()));
                if wasm_emit::check(&f, &Default::default(), &wasm_emit::Options::default()).is_ok()
                    && no_calls(&f)
                {
                    functions.push(f);
                }
            }
        }
    }
    Workload {
        name: "runtests".into(),
        functions,
    }
}

fn no_calls(f: &ir::Function) -> bool {
    f.dfg.ext_funcs.is_empty()
}

/// A straight-line function of about `n` integer instructions.
pub fn straight_line(n: usize) -> Workload {
    let mut s = String::from("function %straight(i64, i64) -> i64 {\nblock0(v0: i64, v1: i64):\n");
    let ops = ["iadd", "imul", "bxor", "isub", "band", "bor"];
    for i in 2..n + 2 {
        let (a, b) = (i - 1, i - 2 - (i % 3).min(i - 2));
        writeln!(s, "    v{i} = {} v{a}, v{b}", ops[i % ops.len()]).unwrap();
    }
    writeln!(s, "    return v{}\n}}", n + 1).unwrap();
    Workload {
        name: format!("straight-{n}"),
        functions: cranelift_reader::parse_functions(&s).expect("generated CLIF parses"),
    }
}
