//! Compiling a module: the index spaces from what every function declares, the imports
//! its callees need, each function lowered in turn, then the helpers they asked for, and
//! the module assembled (and validated) around them.

use crate::check::verify;
use crate::error::{Error, ErrorKind, Result};
use crate::module::env::{ModuleEnv, WasmSig};
use crate::module::layout::ModuleLayout;
use crate::module::{DefinedFunction, FuncName};
use crate::{func, isel, module, support, Options};
use cranelift_codegen::ir;
use cranelift_entity::EntityRef;
use cranelift_offheap::analysis::func_refs_of;
use cranelift_offheap::{FuncRefs, ModuleDecls};
use rustc_hash::FxHashMap;

/// Like [`compile_module`](crate::compile_module), with the module around the functions
/// given by `layout`: the linear memory, data and elem segments, the function table, import
/// names, exports and the start function.
pub fn compile_with_layout(
    functions: &[ir::Function],
    decls: &ModuleDecls,
    layout: &ModuleLayout,
    options: &Options,
) -> Result<Vec<u8>> {
    Compiler::new().compile_with_layout(functions, decls, layout, options)
}

/// A compiler that keeps its working storage from one compilation to the next, as a JIT
/// keeps Cranelift's `Context`: the lowering's per-function arrays (a few dozen bytes per
/// instruction and per value) are sized for the largest function met so far and reused,
/// not taken afresh from the system for every module. The first compilation of a large
/// function pays for that memory (a page fault every 4 KiB); the next ones do not.
///
/// ```
/// use wasm_emit::{Compiler, ModuleLayout, Options};
/// use cranelift_offheap::ModuleDecls;
/// let funcs = cranelift_reader::parse_functions(
///     "function %inc(i64) -> i64 {
///      block0(v0: i64):
///          v1 = iconst.i64 1
///          v2 = iadd v0, v1
///          return v2
///      }",
/// ).unwrap();
/// let mut compiler = Compiler::new();
/// let (decls, layout, options) = (ModuleDecls::new(), ModuleLayout::default(), Options::default());
/// let first = compiler.compile_with_layout(&funcs, &decls, &layout, &options).unwrap();
/// let again = compiler.compile_with_layout(&funcs, &decls, &layout, &options).unwrap();
/// assert_eq!(first, again);
/// ```
#[derive(Default)]
pub struct Compiler {
    /// The storage kept between functions, and between compilations.
    workspace: Option<func::Workspace>,
}

impl Compiler {
    /// A compiler with no storage yet.
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// [`compile_module`](crate::compile_module) with this compiler's storage.
    pub fn compile_module(
        &mut self,
        functions: &[ir::Function],
        decls: &ModuleDecls,
        options: &Options,
    ) -> Result<Vec<u8>> {
        self.compile_with_layout(functions, decls, &ModuleLayout::default(), options)
    }

    /// [`compile_with_layout`] with this compiler's storage.
    pub fn compile_with_layout(
        &mut self,
        functions: &[ir::Function],
        decls: &ModuleDecls,
        layout: &ModuleLayout,
        options: &Options,
    ) -> Result<Vec<u8>> {
        let mut workspace = self
            .workspace
            .take()
            .unwrap_or_else(|| func::Workspace::new(options.opt_level))
            .with_options(options.opt_level, options.local_names);
        let compiled = compile_in(functions, decls, layout, options, &mut workspace);
        self.workspace = Some(workspace);
        compiled
    }
}

/// [`compile_with_layout`] with the lowering's storage `workspace`.
fn compile_in(
    functions: &[ir::Function],
    decls: &ModuleDecls,
    layout: &ModuleLayout,
    options: &Options,
    workspace: &mut func::Workspace,
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
        func::lower_function_in(func, &mut env, workspace, (&mut bodies, index), supported)?;
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
            workspace,
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
