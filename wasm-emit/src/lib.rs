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
//! - [`cfg`]: the lowering graph, dominators, irreducible-loop repair and structuring.
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
//! See `docs/design.md` in the repository for the design and its reasons.

#[cfg(feature = "module")]
pub mod backend;
pub mod cfg;
pub mod coloring;
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

use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::{ir, settings, verify_function};
use cranelift_entity::EntityRef;
use cranelift_offheap::analysis::{func_refs_of, Analysis};
use cranelift_offheap::FuncRefs;
use cranelift_offheap::ModuleDecls;
use module::env::{ModuleEnv, WasmSig};
use module::{DefinedFunction, FuncName};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

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

/// Check that `func` is valid CLIF, keeps the off-heap rules of `decls`, and uses only
/// features this backend lowers.
pub fn check(func: &ir::Function, decls: &ModuleDecls, options: &Options) -> Result<()> {
    let no_symbols = HashMap::new();
    check_with(
        func,
        decls,
        options,
        &Analysis::compute(func, decls),
        &no_symbols,
    )
}

/// [`check`] for a function whose `symbol_value`s of data name the keys of `symbols`
/// (CLIF names such as `u1:3`; the addresses do not matter here), as a module toolchain
/// checks a definition before its data is placed.
pub fn check_placed(
    func: &ir::Function,
    decls: &ModuleDecls,
    options: &Options,
    symbols: &HashMap<String, u64>,
) -> Result<()> {
    check_with(
        func,
        decls,
        options,
        &Analysis::compute(func, decls),
        symbols,
    )
}

/// [`check`] with the off-heap analysis of `func` already computed.
fn check_with(
    func: &ir::Function,
    decls: &ModuleDecls,
    options: &Options,
    analysis: &Analysis,
    symbols: &HashMap<String, u64>,
) -> Result<()> {
    check_input(func, decls, options, analysis)?;
    support::check_function(func, decls, symbols)
}

/// [`check_with`] without the feature gate: Cranelift's verifier (if `options.verify`)
/// and the off-heap rules.
fn check_input(
    func: &ir::Function,
    decls: &ModuleDecls,
    options: &Options,
    analysis: &Analysis,
) -> Result<()> {
    if options.verify {
        verify(func)?;
    }
    match offheap_errors_with(func, decls, analysis)
        .into_iter()
        .next()
    {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

/// Every violation of the off-heap rules in `func` (see `cranelift_offheap::verify`).
pub fn offheap_errors(func: &ir::Function, decls: &ModuleDecls) -> Vec<Error> {
    offheap_errors_with(func, decls, &Analysis::compute(func, decls))
}

fn offheap_errors_with(
    func: &ir::Function,
    decls: &ModuleDecls,
    analysis: &Analysis,
) -> Vec<Error> {
    match cranelift_offheap::verify_with(func, decls, analysis) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(offheap_error).collect(),
    }
}

/// A violation of the off-heap rules as this crate's error.
pub(crate) fn offheap_error(e: cranelift_offheap::VerifyError) -> Error {
    let mut err = Error::new(
        ErrorKind::Invalid,
        e.function.clone(),
        format!("{} [{}]", e.message, e.rule),
    )
    .with_hint(e.hint());
    err.inst = e.inst;
    err.inst_text = e.inst_text;
    err.rule = Some(e.rule);
    err
}

fn verify(func: &ir::Function) -> Result<()> {
    // Cranelift's verifier indexes the base of a derived global value without checking it
    // exists (the reader accepts `gv1 = iadd_imm gv5, 8` with no gv5): check first.
    for (gv, data) in func.global_values.iter() {
        if let ir::GlobalValueData::Load { base, .. } | ir::GlobalValueData::IAddImm { base, .. } =
            data
        {
            if !func.global_values.is_valid(*base) {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    func.name.to_string(),
                    format!("invalid CLIF: {gv} is derived from {base}, which is not declared"),
                )
                .with_hint("declare every global value a global value is derived from"));
            }
        }
    }
    let flags = settings::Flags::new(settings::builder());
    // The verifier refuses pinned-register and frame-pointer instructions without an ISA,
    // and with a native ISA it would impose that ISA's pointer width. Verify a copy in
    // which those operand-free instructions are replaced by constants of the same type.
    let needs_isa = |op| {
        matches!(
            op,
            ir::Opcode::GetPinnedReg | ir::Opcode::SetPinnedReg | ir::Opcode::GetFramePointer
        )
    };
    let special: Vec<ir::Inst> = func
        .layout
        .blocks()
        .flat_map(|b| func.layout.block_insts(b))
        .filter(|&i| needs_isa(func.dfg.insts[i].opcode()))
        .collect();
    let shadow;
    let mut checked = func;
    if !special.is_empty() {
        let mut copy = func.clone();
        for inst in special {
            if copy.dfg.insts[inst].opcode() == ir::Opcode::SetPinnedReg {
                copy.replace(inst).nop();
            } else {
                let ty = copy.dfg.ctrl_typevar(inst);
                copy.replace(inst).iconst(ty, 0);
            }
        }
        shadow = copy;
        checked = &shadow;
    }
    verify_function(checked, &flags).map_err(|errors| {
        let first = &errors.0[0];
        let mut err = Error::new(
            ErrorKind::Invalid,
            func.name.to_string(),
            format!("invalid CLIF: {}", first.message),
        );
        if let ir::entities::AnyEntity::Inst(inst) = first.location {
            err.inst = Some(inst);
            err.inst_text = Some(func.dfg.display_inst(inst).to_string());
        }
        err.with_hint("the input must pass Cranelift's verifier")
    })
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

/// Like [`compile_module`], with the module around the functions given by `layout`: the
/// linear memory, data and elem segments, the function table, import names, exports and
/// the start function.
pub fn compile_with_layout(
    functions: &[ir::Function],
    decls: &ModuleDecls,
    layout: &ModuleLayout,
    options: &Options,
) -> Result<Vec<u8>> {
    // The index spaces first, from what each function declares (not its instructions);
    // then each function is analyzed, checked and lowered in one go, while its IR is in
    // the cache (a module can have a hundred thousand functions).
    let func_refs: Vec<FuncRefs> = functions.iter().map(|f| func_refs_of(f, decls)).collect();
    let mut env = ModuleEnv::new(options.target.clone(), options.stack_size, decls, layout);
    // Whether each function's own signature is one the backend lowers, asked here while
    // the signature is read for its type anyway (the lowering checks it again only where
    // it is not: see `support::Gate::signature_supported`).
    let mut signature_supported = Vec::with_capacity(functions.len());
    // Definitions first, so that finding imports can ask which callees are defined.
    // Test-case names are copied side by side for assembly (see `FuncName::Copied`).
    let mut copied = Vec::with_capacity(functions.len());
    for (func, refs) in functions.iter().zip(&func_refs) {
        if let ir::UserFuncName::Testcase(name) = &func.name {
            let text = utf8_name(name.raw(), func, "the function's name")?;
            let start = env.copied_names.len();
            env.copied_names.push_str(text);
            copied.push(start..env.copied_names.len());
        } else {
            copied.push(0..0);
        }
        let type_index = env.type_index_of(&func.signature, &refs.signature);
        signature_supported.push(support::signature_supported(&func.signature));
        env.define(&func.name, type_index)?;
    }
    declare_imports(&mut env, functions, &func_refs, options)?;
    drop(func_refs);
    env.resolve_layout()?;
    let mut defined = Vec::with_capacity(functions.len());
    let mut workspace =
        func::Workspace::new(options.opt_level).with_local_names(options.local_names);
    let mut bodies = module::Bodies::for_instructions(
        functions.iter().map(|f| f.dfg.num_insts()).sum(),
        module::room_for_other_sections(functions.len(), &layout.data),
    );
    let first_defined = env.imports.len() as u32;
    for ((func, &supported), copied) in functions.iter().zip(&signature_supported).zip(copied) {
        // The feature gate and the off-heap rules are checked in (and after) the
        // function's first lowering walk (`scan`), before anything is emitted.
        if options.verify {
            verify(func)?;
        }
        let index = first_defined + defined.len() as u32;
        func::lower_function_in(
            func,
            &mut env,
            &mut workspace,
            (&mut bodies, index),
            supported,
        )?;
        let renamed = if layout.func_names.is_empty() {
            None
        } else {
            layout.func_names.get(&func.name.to_string()).cloned()
        };
        let name = match &func.name {
            ir::UserFuncName::Testcase(_) => FuncName::Copied(copied),
            name => FuncName::Clif(name),
        };
        defined.push(DefinedFunction {
            name: renamed.map_or(name, FuncName::Text),
            export: options.export_functions,
        });
    }
    // Helpers may request further helpers while they are lowered.
    let mut next = 0;
    while next < env.helpers.len() {
        let helper = env.helpers[next];
        let helper_func = helper.function();
        let index = first_defined + defined.len() as u32;
        func::lower_function_in(
            &helper_func,
            &mut env,
            &mut workspace,
            (&mut bodies, index),
            false,
        )?;
        defined.push(DefinedFunction {
            name: FuncName::Text(helper.name()),
            export: false,
        });
        next += 1;
    }
    // Printing every name is left for the case where the memory is exported.
    let named_memory = || {
        let mut buf = String::new();
        defined
            .iter()
            .any(|f| f.name.text(&mut buf, &env.copied_names) == "memory")
    };
    if options.export_functions && env.uses_memory && layout.memory.is_none() && named_memory() {
        return Err(Error::new(
            ErrorKind::Invalid,
            "%memory",
            "a function named `memory` clashes with the exported linear memory",
        )
        .with_hint("rename the function"));
    }
    let pages = module::pages_for(options.stack_size) + 1;
    let bytes = module::assemble(&env, &defined, &mut bodies, &layout.data, pages);
    let used = module::features(&env);
    if let Some(allowed) = options.allowed_features {
        if !allowed.contains(used) {
            return Err(Error::new(
                ErrorKind::Config,
                "",
                format!(
                    "the module needs wasm features that are not allowed: {:?}",
                    used.difference(allowed)
                ),
            )
            .with_hint("allow these features, or avoid the CLIF that needs them"));
        }
    }
    if options.validate {
        module::validate(&bytes, used)?;
    }
    Ok(bytes)
}

/// The test-case name `bytes` (`what`, of `func`) as text; an error if it is not UTF-8:
/// wasm names are, and Cranelift panics printing one that is not.
fn utf8_name<'b>(bytes: &'b [u8], func: &ir::Function, what: &str) -> Result<&'b str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text);
    }
    let function = match &func.name {
        ir::UserFuncName::Testcase(name) => format!("%{}", String::from_utf8_lossy(name.raw())),
        name => name.to_string(),
    };
    Err(Error::new(
        ErrorKind::Invalid,
        function,
        format!(
            "{what} `%{}` is not UTF-8, and wasm names are",
            String::from_utf8_lossy(bytes)
        ),
    )
    .with_hint("name functions in UTF-8"))
}

/// Every callee that is not defined in `functions` becomes a function import.
fn declare_imports(
    env: &mut ModuleEnv,
    functions: &[ir::Function],
    func_refs: &[FuncRefs],
    options: &Options,
) -> Result<()> {
    // Only the definitions are in `env` yet: a callee it knows is defined.
    let mut imported: Vec<(String, WasmSig)> = Vec::new();
    let mut imported_index: FxHashMap<String, usize> = FxHashMap::default();
    let mut known = Vec::new();
    for (func, refs) in functions.iter().zip(func_refs) {
        known.clear();
        known.resize(func.dfg.ext_funcs.len(), module::env::NO_CALLEE);
        for (func_ref, ext) in isel::declared_callees(func) {
            if matches!(
                ext.name,
                ir::ExternalName::LibCall(_) | ir::ExternalName::KnownSymbol(_)
            ) || cranelift_offheap::intrinsics::callee_kind(func, func_ref)
                != cranelift_offheap::intrinsics::CalleeKind::Plain
            {
                continue;
            }
            // Defined callees are found by name without printing it, and recorded for
            // the lowering.
            if let Some(ordinal) = env.defined_callee(func, &ext.name) {
                known[func_ref.index()] = ordinal;
                continue;
            }
            if let ir::ExternalName::TestCase(name) = &ext.name {
                utf8_name(name.raw(), func, "a callee's name")?;
            }
            let key = isel::callee_key(func, func_ref);
            if env.lookup(&key).is_some() {
                continue;
            }
            let plain = cranelift_offheap::SigRefs::default();
            let sig = WasmSig::of(
                &func.dfg.signatures[ext.signature],
                refs.sig(ext.signature).unwrap_or(&plain),
            );
            if sig.has_refs() {
                env.uses_reference_types = true;
            }
            match imported_index.get(&key) {
                Some(&i) if imported[i].1 != sig => {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        func.name.to_string(),
                        format!(
                            "imported function `{key}` is declared with two different signatures"
                        ),
                    )
                    .with_hint("declare every import with one signature"));
                }
                Some(_) => {}
                None => {
                    imported_index.insert(key.clone(), imported.len());
                    imported.push((key, sig));
                }
            }
        }
        env.record_known_callees(&known);
    }
    // Callees the layout imports under its own names are not imported again.
    let mut by_layout = vec![false; imported.len()];
    for import in env.layout.imports.clone() {
        let sig = WasmSig::of(&import.signature, &import.refs);
        if let Some(&i) = imported_index.get(&import.name) {
            by_layout[i] = true;
            if imported[i].1 != sig {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    import.name.clone(),
                    "a call declares the imported function with another signature than the layout",
                )
                .with_hint("declare every import with one signature"));
            }
        }
        if env.defines(&import.name) {
            return Err(Error::new(
                ErrorKind::Invalid,
                import.name.clone(),
                "the module layout imports a function that is also defined",
            )
            .with_hint("define it or import it, not both"));
        }
        env.import(import.name, &import.import.module, &import.import.name, sig);
    }
    for ((key, sig), layout) in imported.into_iter().zip(by_layout) {
        if layout {
            continue;
        }
        let name = key.strip_prefix('%').unwrap_or(&key).to_string();
        env.import(key, &options.import_module, &name, sig);
    }
    Ok(())
}
