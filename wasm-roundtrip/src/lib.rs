//! # wasm-roundtrip: real wasm through Cranelift and back
//!
//! A wasm module goes through cranelift-wasm 0.112.3 (the last release with a wasm front
//! end), a small bridge to Cranelift 0.135 IR, optionally Cranelift's mid-end, and
//! wasm-emit, which produces a wasm module again. This is a dev-side tool: it brings real
//! programs (big functions, tangled CFGs, thousands of locals) to the backend, and measures
//! the code it emits against the compilers that produced the input. The library crates do
//! not depend on it.
//!
//! - [`module_env`]: the module's declarations, as off-heap declarations and a layout.
//! - [`func_env`]: how each wasm instruction that touches the environment is expressed.
//! - [`convert`]: 0.112 IR to 0.135 IR.
//! - [`optimize`]: the flags-only mid-end behind `--opt`.
//! - [`wasi`]: running the corpus programs in wasmtime.
//!
//! ```no_run
//! let wasm = std::fs::read("program.wasm").unwrap();
//! let out = wasm_roundtrip::roundtrip(&wasm, &wasm_roundtrip::Options::default()).unwrap();
//! std::fs::write("program.rt.wasm", out).unwrap();
//! ```

pub mod convert;
pub mod func_env;
pub mod module_env;
pub mod optimize;
pub mod wasi;

use cranelift_codegen::ir;
use cranelift_offheap::ModuleDecls;
use module_env::{func_name, ModuleInfo};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_emit::ModuleLayout;

/// Options of a round trip.
#[derive(Clone, Debug)]
pub struct Options {
    /// Run Cranelift's mid-end on every function before lowering.
    pub optimize: bool,
    /// Validate the output with wasmparser (default: true; off only for debugging).
    pub validate: bool,
    /// wasm-emit's opt level (default: speed).
    pub opt_level: wasm_emit::OptLevel,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            optimize: false,
            validate: true,
            opt_level: wasm_emit::OptLevel::default(),
        }
    }
}

/// Why a round trip failed.
#[derive(Debug)]
pub enum RoundTripError {
    /// The input is not a valid wasm module.
    Invalid(String),
    /// The module uses a feature the round trip or the backend does not have.
    Unsupported(String),
    /// wasm-emit refused a function.
    Lower(wasm_emit::Error),
    /// A bug: the bridge produced something it should not have.
    Internal(String),
}

impl fmt::Display for RoundTripError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoundTripError::Invalid(m) => write!(f, "invalid module: {m}"),
            RoundTripError::Unsupported(m) => write!(f, "unsupported: {m}"),
            RoundTripError::Lower(e) => write!(f, "{e}"),
            RoundTripError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for RoundTripError {}

impl RoundTripError {
    /// Whether the module is merely outside what is supported (as opposed to a failure).
    pub fn is_unsupported(&self) -> bool {
        match self {
            RoundTripError::Unsupported(_) => true,
            RoundTripError::Lower(e) => matches!(e.kind, wasm_emit::ErrorKind::Unsupported(_)),
            _ => false,
        }
    }
}

fn wasm_error(e: cranelift_wasm::WasmError) -> RoundTripError {
    match e {
        cranelift_wasm::WasmError::Unsupported(m) => RoundTripError::Unsupported(m),
        cranelift_wasm::WasmError::InvalidWebAssembly { message, offset } => {
            RoundTripError::Invalid(format!("{message} (at byte {offset})"))
        }
        other => RoundTripError::Unsupported(other.to_string()),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_string())
}

/// A module in Cranelift 0.135 IR, ready for wasm-emit.
pub struct Translated {
    /// The defined functions, named `u0:N` by wasm function index.
    pub functions: Vec<ir::Function>,
    /// The module's globals and tables.
    pub decls: ModuleDecls,
    /// Memory, segments, imports, exports, start.
    pub layout: ModuleLayout,
}

/// Translate `wasm` into Cranelift 0.135 IR, with 32-bit pointers (for wasm32).
pub fn translate(wasm: &[u8]) -> Result<Translated, RoundTripError> {
    translate_with_pointer(wasm, false)
}

/// Translate `wasm` with 64-bit pointers (`wide`), the CLIF a 64-bit native target takes:
/// heap indices are zero-extended, and the memory intrinsics take i64 addresses. Lowered
/// for wasm64, it is the same program; the benchmarks compare backends on it.
pub fn translate_with_pointer(wasm: &[u8], wide: bool) -> Result<Translated, RoundTripError> {
    let mut info = ModuleInfo::default();
    // cranelift-wasm asserts on some inputs it does not support; turn that into an error.
    catch_unwind(AssertUnwindSafe(|| {
        cranelift_wasm::translate_module(wasm, &mut info)
    }))
    .map_err(|p| RoundTripError::Unsupported(format!("cranelift-wasm: {}", panic_message(p))))?
    .map_err(wasm_error)?;
    info.check()?;
    let bodies = std::mem::take(&mut info.bodies);
    let mut translator = cranelift_wasm::FuncTranslator::new();
    let mut functions = Vec::with_capacity(bodies.len());
    for (i, mut body) in bodies.into_iter().enumerate() {
        let index = info.num_imports + i as u32;
        let sig = info
            .signature(cranelift_wasm::FuncIndex::from_u32(index))
            .map_err(wasm_error)?;
        let name = cranelift_codegen_112::ir::UserFuncName::user(0, index);
        let mut func = cranelift_codegen_112::ir::Function::with_name_signature(name, sig);
        let pointer = if wide {
            cranelift_codegen_112::ir::types::I64
        } else {
            cranelift_codegen_112::ir::types::I32
        };
        let mut env = func_env::FuncEnv::new(&info, pointer);
        catch_unwind(AssertUnwindSafe(|| {
            translator.translate_body(&mut body.validator, body.body.clone(), &mut func, &mut env)
        }))
        .map_err(|p| {
            RoundTripError::Unsupported(format!(
                "cranelift-wasm on function {}: {}",
                func_name(index),
                panic_message(p)
            ))
        })?
        .map_err(|e| match wasm_error(e) {
            RoundTripError::Unsupported(m) => {
                RoundTripError::Unsupported(format!("function {}: {m}", func_name(index)))
            }
            other => other,
        })?;
        functions.push(convert::function(func).map_err(RoundTripError::Internal)?);
    }
    Ok(Translated {
        functions,
        decls: info.decls,
        layout: info.layout,
    })
}

/// Lower a translated module with wasm-emit at `options.opt_level` (validated by it
/// unless `options.validate` is off).
pub fn emit(translated: &Translated, options: &Options) -> Result<Vec<u8>, RoundTripError> {
    let options = wasm_emit::Options {
        export_functions: false,
        validate: options.validate,
        opt_level: options.opt_level,
        ..wasm_emit::Options::default()
    };
    wasm_emit::compile_with_layout(
        &translated.functions,
        &translated.decls,
        &translated.layout,
        &options,
    )
    .map_err(RoundTripError::Lower)
}

/// The whole round trip: translate, optionally optimize, emit.
pub fn roundtrip(wasm: &[u8], options: &Options) -> Result<Vec<u8>, RoundTripError> {
    let mut translated = translate(wasm)?;
    if options.optimize {
        for func in &mut translated.functions {
            optimize::optimize(func).map_err(|e| {
                RoundTripError::Internal(format!("the mid-end failed on {}: {e}", func.name))
            })?;
        }
    }
    emit(&translated, options)
}

/// The size in bytes of the code section of `wasm` (0 without one).
pub fn code_section_size(wasm: &[u8]) -> Result<usize, RoundTripError> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| RoundTripError::Invalid(e.to_string()))? {
            wasmparser::Payload::CodeSectionStart { size, .. } => return Ok(size as usize),
            _ => continue,
        }
    }
    Ok(0)
}
