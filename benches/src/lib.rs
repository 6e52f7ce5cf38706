//! Inputs for the lowering benchmarks: CLIF functions from Cranelift's runtests (when the
//! corpus is beside the workspace), real-world CLIF from the round-trip corpus (when
//! `corpus/fetch.sh` has built it), and generated functions; plus the measurements the
//! `compare` binary and the criterion benches share.

pub mod shapes;

use cranelift_codegen::ir;
use std::path::{Path, PathBuf};
pub use wasm_emit::OptLevel;

/// A named group of functions to lower as one module.
pub struct Workload {
    /// Name shown in reports.
    pub name: String,
    /// The functions.
    pub functions: Vec<ir::Function>,
    /// Off-heap declarations the functions use.
    pub decls: cranelift_offheap::ModuleDecls,
    /// The module around the functions.
    pub layout: wasm_emit::ModuleLayout,
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
    Path::new(&manifest_dir()).parent().unwrap().to_path_buf()
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
        decls: Default::default(),
        layout: Default::default(),
    }
}

fn no_calls(f: &ir::Function) -> bool {
    f.dfg.ext_funcs.is_empty()
}

/// Real-world CLIF: each module of the round-trip corpus (`corpus/build`) that the round
/// trip supports, translated by cranelift-wasm. Empty without the corpus.
pub fn corpus() -> Vec<Workload> {
    corpus_matching(|_| true)
}

/// The workload and repetition count an example's command line names (`NAME [TIMES]`,
/// `default` and 5 without them): `SHAPE-N` is a generated workload (see [`shapes`]),
/// anything else a corpus module. Panics with a hint when the corpus module is missing.
pub fn example_workload(default: &str) -> (Workload, usize) {
    let name = std::env::args().nth(1).unwrap_or_else(|| default.into());
    let times: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let generated = name.rsplit_once('-').and_then(|(shape, n)| {
        let n: usize = n.parse().ok()?;
        shapes::SHAPES
            .contains(&shape)
            .then(|| shapes::generate(shape, n))
    });
    let workload = generated.unwrap_or_else(|| {
        corpus_module(&name)
            .unwrap_or_else(|| panic!("no corpus module {name}: run corpus/fetch.sh"))
    });
    (workload, times)
}

/// The corpus module named `name` (a file stem such as `sql.js-sql-wasm`), if it is built
/// and supported.
pub fn corpus_module(name: &str) -> Option<Workload> {
    corpus_matching(|stem| stem == name).pop()
}

/// The corpus modules whose file stem satisfies `wanted`.
fn corpus_matching(wanted: impl Fn(&str) -> bool) -> Vec<Workload> {
    let dir = workspace().join("corpus/build");
    let mut paths: Vec<PathBuf> = ["programs", "npm"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(dir.join(sub)).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .filter(|p| p.file_stem().is_some_and(|s| wanted(&s.to_string_lossy())))
        .collect();
    paths.sort();
    let mut workloads = Vec::new();
    for path in paths {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        // 64-bit pointers: the CLIF Cranelift's native backend takes, lowered for wasm64.
        let Ok(t) = wasm_roundtrip::translate_with_pointer(&bytes, true) else {
            continue;
        };
        let w = Workload {
            name: path.file_stem().unwrap().to_string_lossy().to_string(),
            functions: t.functions,
            decls: t.decls,
            layout: t.layout,
        };
        // Only modules wasm-emit lowers whole (not those with vectors, for example).
        if try_lower(&w, true).is_ok() {
            workloads.push(w);
        }
    }
    workloads
}

/// Lower `w` with wasm-emit at `opt_level` (`fast`: as a JIT that trusts its front end,
/// without the input verifier, output validation and local names), with a compiler of its
/// own.
pub fn lower_at(w: &Workload, fast: bool, opt_level: OptLevel) -> Vec<u8> {
    lower_in(&mut wasm_emit::Compiler::new(), w, fast, opt_level)
}

/// [`lower_at`] with `compiler`, whose storage the lowering reuses (as a JIT reuses its
/// compiler from one module to the next).
pub fn lower_in(
    compiler: &mut wasm_emit::Compiler,
    w: &Workload,
    fast: bool,
    opt_level: OptLevel,
) -> Vec<u8> {
    compiler
        .compile_with_layout(
            &w.functions,
            &w.decls,
            &w.layout,
            &options(w, fast, opt_level),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", w.name))
}

/// Lower `w` for wasm64 (every workload has 64-bit pointers, as Cranelift's x86-64 backend
/// needs), validated by wasm-emit unless `fast`.
pub fn try_lower(w: &Workload, fast: bool) -> Result<Vec<u8>, wasm_emit::Error> {
    try_lower_at(w, fast, OptLevel::default())
}

/// [`try_lower`] at `opt_level`.
pub fn try_lower_at(
    w: &Workload,
    fast: bool,
    opt_level: OptLevel,
) -> Result<Vec<u8>, wasm_emit::Error> {
    wasm_emit::compile_with_layout(
        &w.functions,
        &w.decls,
        &w.layout,
        &options(w, fast, opt_level),
    )
}

/// The options of lowering `w` (see [`try_lower_at`]).
fn options(w: &Workload, fast: bool, opt_level: OptLevel) -> wasm_emit::Options {
    wasm_emit::Options {
        target: wasm_emit::Target::wasm64(),
        verify: !fast,
        validate: !fast,
        local_names: !fast,
        export_functions: w.layout.exports.is_empty() && w.layout.memory.is_none(),
        opt_level,
        ..wasm_emit::Options::default()
    }
}

/// The number of wasm instructions in the code section of `wasm`.
pub fn wasm_instructions(wasm: &[u8]) -> usize {
    let mut n = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm).flatten() {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload {
            if let Ok(mut ops) = body.get_operators_reader() {
                while ops.read().is_ok() {
                    n += 1;
                }
            }
        }
    }
    n
}

/// The encode-only floor: a module of `funcs` functions holding `instructions` wasm
/// instructions in all, emitted with wasm-encoder and nothing else.
pub fn encode_floor(funcs: usize, instructions: usize) -> Vec<u8> {
    use wasm_encoder::{CodeSection, Function, FunctionSection, Module, TypeSection, ValType};
    let funcs = funcs.max(1);
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    module.section(&types);
    let mut fsec = FunctionSection::new();
    for _ in 0..funcs {
        fsec.function(0);
    }
    module.section(&fsec);
    let mut code = CodeSection::new();
    let per = instructions / funcs;
    for _ in 0..funcs {
        let mut f = Function::new([(1, ValType::I32)]);
        let mut sink = f.instructions();
        // Triples of get, get, add, set: the shape of lowered code.
        for i in 0..per / 4 {
            sink.local_get(0).i32_const(i as i32).i32_add().local_set(1);
        }
        sink.local_get(1).end();
        code.function(&f);
    }
    module.section(&code);
    module.finish()
}

/// Compile `functions` with Cranelift's native backend for `isa` as a JIT does, one
/// `Context` reused for all; `None` if Cranelift refuses one. The functions are handed
/// over: the benchmarks clone them outside the timing (a JIT builds each in place and
/// compiles it once).
pub fn compile_natively(
    functions: Vec<cranelift_codegen::ir::Function>,
    isa: &dyn cranelift_codegen::isa::TargetIsa,
) -> Option<()> {
    compile_natively_in(&mut cranelift_codegen::Context::new(), functions, isa)
}

/// [`compile_natively`] with `ctx`, whose storage Cranelift reuses (as a JIT keeps its
/// `Context` from one module to the next).
pub fn compile_natively_in(
    ctx: &mut cranelift_codegen::Context,
    functions: Vec<cranelift_codegen::ir::Function>,
    isa: &dyn cranelift_codegen::isa::TargetIsa,
) -> Option<()> {
    for f in functions {
        ctx.func = f;
        let compiled = ctx.compile(isa, &mut Default::default()).is_ok();
        ctx.clear();
        if !compiled {
            return None;
        }
    }
    Some(())
}

/// Keep the functions Cranelift's native backend (for the host, `opt_level` none) compiles
/// too: some runtests need ISA flags or features the host backend lacks, and a few make it
/// panic. Both sides then lower the same code.
pub fn natively_compilable(mut w: Workload) -> Workload {
    use cranelift_codegen::Context;
    let isa = native_isa("none");
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    w.functions.retain(|f| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut ctx = Context::for_function(f.clone());
            ctx.compile(&*isa, &mut Default::default()).is_ok()
        }))
        .unwrap_or(false)
    });
    std::panic::set_hook(hook);
    w
}

/// Cranelift's native backend for the host at `opt_level` (`none` or `speed`), with its
/// default flags (its IR verifier on).
pub fn native_isa(opt_level: &str) -> cranelift_codegen::isa::OwnedTargetIsa {
    native_isa_with(opt_level, true)
}

/// Cranelift's native backend for the host at `opt_level`, with its IR verifier on or off
/// (and its default register allocator, `backtracking`).
pub fn native_isa_with(opt_level: &str, verifier: bool) -> cranelift_codegen::isa::OwnedTargetIsa {
    native_isa_flags(opt_level, verifier, "backtracking")
}

/// Cranelift's quickest native compilation for the host: `opt_level` none, no IR
/// verifier, and the single-pass register allocator (`regalloc_algorithm=single_pass`,
/// "quick compilation but ... more register spills and moves"), which is what a JIT's
/// first tier would choose.
pub fn native_isa_quickest() -> cranelift_codegen::isa::OwnedTargetIsa {
    native_isa_flags("none", false, "single_pass")
}

/// Cranelift's native backend for the host with these flags.
fn native_isa_flags(
    opt_level: &str,
    verifier: bool,
    regalloc: &str,
) -> cranelift_codegen::isa::OwnedTargetIsa {
    use cranelift_codegen::{isa, settings, settings::Configurable};
    let mut flags = settings::builder();
    flags
        .set("opt_level", opt_level)
        .expect("a valid opt_level");
    flags
        .set("enable_verifier", if verifier { "true" } else { "false" })
        .expect("a valid flag");
    flags
        .set("regalloc_algorithm", regalloc)
        .expect("a valid register allocator");
    isa::lookup(target_lexicon::Triple::host())
        .expect("host ISA is built in")
        .finish(settings::Flags::new(flags))
        .expect("valid flags")
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
