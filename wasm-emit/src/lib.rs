//! # wasm-emit: a WebAssembly backend for Cranelift
//!
//! Lowers Cranelift IR (`ir::Function`s, from `cranelift-frontend`, the CLIF text reader,
//! or Cranelift's own passes) into one WebAssembly module, exact to CLIF semantics.
//!
//! ```
//! use wasm_emit::{compile, Options};
//! let funcs = cranelift_reader::parse_functions(
//!     "function %add(i32, i32) -> i32 {
//!      block0(v0: i32, v1: i32):
//!          v2 = iadd v0, v1
//!          return v2
//!      }",
//! ).unwrap();
//! let wasm = compile(&funcs, &Options::default()).unwrap();
//! assert_eq!(&wasm[..4], b"\0asm");
//! ```
//!
//! ## Architecture
//! - [`support`]: decides whether a function uses only supported features (on its own for
//!   [`check`], inside the first lowering walk when compiling).
//! - [`cfg`](mod@cfg): the lowering graph, dominators, irreducible-loop repair and structuring.
//! - [`isel`]: instruction selection, by operand kind.
//! - [`scan`]: one walk of a function's layout into flat arrays the later passes share.
//! - [`reuse`]: how the passes empty and size the storage they keep between functions.
//! - [`stackify`], [`coloring`], [`locals`], [`frame`]: value placement (operand stack or
//!   shared locals) and the shadow-stack frame.
//! - [`module`]: index spaces, module assembly, validation.
//! - [`runtime`]: helpers written in CLIF (fma, 64-bit high multiplies, libcalls).
//! - [`text`]: CLIF files as the CLI reads them, with line numbers for errors.
//! - [`backend`]: `cranelift_module::Module` for wasm ([`WasmModule`]), for toolchains
//!   written against Cranelift's module API.
//! - [`runtest`]: runs Cranelift's `; run:` lines against emitted modules in wasmtime.
//!
//! The entry points are here; [`check`] and its kin, and the module compilation behind
//! [`compile_with_layout`] and [`Compiler`] (which keeps its storage from one compilation
//! to the next, for JITs), are in files of their own (`check.rs`, `compile.rs`).
//!
//! See `docs/design.md` in the repository for the design and its reasons.

#[cfg(feature = "module")]
pub mod backend;
pub mod cfg;
mod check;
pub mod coloring;
mod compile;
pub mod error;
pub mod frame;
pub mod func;
pub mod isel;
pub mod liveness;
pub mod locals;
pub mod module;
pub mod reuse;
#[cfg(feature = "cli")]
pub mod runtest;
pub mod runtime;
pub mod scan;
pub mod stackify;
pub mod support;
pub mod target;
pub mod text;
pub mod types;

#[cfg(feature = "module")]
pub use backend::{MemoryMode, WasmBuilder, WasmModule, WasmProduct};
pub use error::{Error, ErrorDetails, ErrorKind, Feature, Result};
pub use module::layout::{
    DataSegment, ElemSegment, FunctionImport, MemoryLayout, ModuleLayout, SegmentMode,
};
pub use target::Target;

pub(crate) use check::offheap_error;
pub use check::{check, check_placed, offheap_errors};
pub use compile::{compile_with_layout, Compiler};

use cranelift_codegen::ir;
use cranelift_offheap::ModuleDecls;
use module::FuncName;

/// Options of a compilation.
#[derive(Clone, Debug)]
pub struct Options {
    /// The target (`wasm32` by default).
    pub target: Target,
    /// Run Cranelift's IR verifier on every input function first (default: true). Turning
    /// it off saves time for trusted input; malformed input may then be lowered wrongly.
    pub verify: bool,
    /// Validate the emitted module with wasmparser (default: true).
    pub validate: bool,
    /// Shadow-stack size in bytes (default: 1 MiB).
    pub stack_size: u64,
    /// Export every function under its name without the `%` (default: true).
    pub export_functions: bool,
    /// Module name for functions that are called but not defined (default: `"env"`).
    pub import_module: String,
    /// The wasm features the module may use (default: `None`, whatever the input needs).
    /// A module that needs more is an error of kind `Config` naming the missing features.
    pub allowed_features: Option<wasmparser::WasmFeatures>,
    /// How much lowering spends on the emitted code (default: [`OptLevel::Speed`]).
    pub opt_level: OptLevel,
    /// Name each local in the name section after the CLIF value or stack slot it holds
    /// (`v12`, `ss0`), for debuggers and disassembly (default: true). Functions and
    /// globals are named either way. A JIT that never shows the module to a person can
    /// turn it off: it saves a few percent of the lowering time.
    pub local_names: bool,
}

/// How much work lowering spends on the code it emits, named after Cranelift's
/// `opt_level` setting. Both levels emit the same instructions with the same operand-stack
/// use; they differ in how values that need a local share locals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    /// Every value kept in a local gets a local of its own: no liveness analysis and no
    /// local coloring, like a native backend without a register allocator (the engine
    /// allocates registers itself). The cheapest lowering, for a JIT's first tier; the
    /// code has more locals and is larger. A function that would need more than the
    /// 50,000 locals engines accept shares locals as its values die, in the order the
    /// code is emitted (still without liveness), or if that is not enough, is colored.
    None,
    /// Values whose live ranges do not overlap share a local (coloring), and a block
    /// argument shares its parameter's local where it can, so the copy vanishes.
    #[default]
    Speed,
}

impl std::str::FromStr for OptLevel {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<OptLevel, String> {
        match s {
            "none" => Ok(OptLevel::None),
            "speed" => Ok(OptLevel::Speed),
            _ => Err(format!(
                "unknown opt level `{s}`: expected `none` or `speed`"
            )),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            target: Target::default(),
            verify: true,
            validate: true,
            stack_size: 1 << 20,
            export_functions: true,
            import_module: "env".to_string(),
            allowed_features: None,
            opt_level: OptLevel::default(),
            local_names: true,
        }
    }
}

/// The export name of a CLIF function name: `%name` → `name`, `u1:2` stays `u1:2`.
pub fn export_name(name: &ir::UserFuncName) -> String {
    FuncName::Clif(name).text(&mut String::new(), "").to_owned()
}

/// Lower `functions` into one wasm module, validated before it is returned.
///
/// Callees that are not among `functions` become imports from `options.import_module`.
pub fn compile(functions: &[ir::Function], options: &Options) -> Result<Vec<u8>> {
    compile_module(functions, &ModuleDecls::new(), options)
}

/// Like [`compile`], with the off-heap declarations `decls`: wasm globals, tables, and the
/// reference types of signatures.
pub fn compile_module(
    functions: &[ir::Function],
    decls: &ModuleDecls,
    options: &Options,
) -> Result<Vec<u8>> {
    compile_with_layout(functions, decls, &ModuleLayout::default(), options)
}
