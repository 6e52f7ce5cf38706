//! `WasmModule` through `cranelift_module::Module`: pointer width, linkage, function
//! pointers, data layout and relocations, memory options, off-heap declarations, and an
//! error (never a panic) for every bad declaration or definition.

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature, Type};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{
    DataDescription, DataId, FuncId, Linkage, Module, ModuleError, ModuleRelocTarget,
};
use cranelift_offheap::{GlobalDecl, WasmType};
use wasm_emit::{MemoryMode, WasmBuilder, WasmModule};
use wasmparser::{Parser, Payload, TypeRef, ValType};

const WASM32: &str = "wasm32-unknown-unknown";
const WASM64: &str = "wasm64-unknown-unknown";

fn module(triple: &str) -> WasmModule {
    WasmModule::new(WasmBuilder::new(triple.parse().unwrap()).unwrap())
}

fn sig(m: &WasmModule, params: &[Type], returns: &[Type]) -> Signature {
    let mut s = m.make_signature();
    s.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    s.returns.extend(returns.iter().map(|&t| AbiParam::new(t)));
    s
}

/// Define `id` with a body built by `body` (which gets the module for references).
#[allow(clippy::result_large_err)] // `ModuleError` is the trait's error type
fn define(
    m: &mut WasmModule,
    id: FuncId,
    body: impl FnOnce(&mut WasmModule, &mut FunctionBuilder),
) -> Result<(), ModuleError> {
    let mut ctx = m.make_context();
    ctx.func.signature = m.declarations().get_function_decl(id).signature.clone();
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    body(m, &mut b);
    b.seal_all_blocks();
    b.finalize(m.target_config());
    m.define_function(id, &mut ctx)
}

/// Define `id` as a function that calls `callee` without arguments and returns its one
/// result.
fn define_caller(m: &mut WasmModule, id: FuncId, callee: FuncId) {
    define(m, id, |m, b| {
        let f = m.declare_func_in_func(callee, b.func);
        let call = b.ins().call(f, &[]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
    })
    .unwrap();
}

/// A function returning the constant `v` of type `ty`.
fn constant(m: &mut WasmModule, name: &str, linkage: Linkage, v: i64) -> FuncId {
    let s = sig(m, &[], &[types::I64]);
    let id = m.declare_function(name, linkage, &s).unwrap();
    define(m, id, |_, b| {
        let c = b.ins().iconst(types::I64, v);
        b.ins().return_(&[c]);
    })
    .unwrap();
    id
}

fn run(wasm: &[u8], name: &str, args: &[i64]) -> i64 {
    let mut config = wasmtime::Config::new();
    config.wasm_memory64(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let module = wasmtime::Module::new(&engine, wasm).unwrap();
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&mut store, name).unwrap();
    let params: Vec<_> = args.iter().map(|&a| wasmtime::Val::I64(a)).collect();
    let mut results = [wasmtime::Val::I64(0)];
    f.call(&mut store, &params, &mut results).unwrap();
    results[0].unwrap_i64()
}

/// (imports as "module.name", exports) of a module.
fn interface(wasm: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::ImportSection(s) => {
                for i in s.into_imports() {
                    let i = i.unwrap();
                    imports.push(format!("{}.{}", i.module, i.name));
                }
            }
            Payload::ExportSection(s) => {
                for e in s {
                    exports.push(e.unwrap().name.to_string());
                }
            }
            _ => {}
        }
    }
    (imports, exports)
}

#[test]
fn pointer_width_follows_the_target() {
    for (triple, ptr) in [(WASM32, types::I32), (WASM64, types::I64)] {
        let m = module(triple);
        assert_eq!(m.target_config().pointer_type(), ptr);
        assert_eq!(m.isa().pointer_type(), ptr);
        assert_eq!(u32::from(m.target_config().pointer_bytes()), ptr.bytes());
        assert_eq!(m.target().triple.to_string(), triple);
    }
}

#[test]
fn linkage_decides_imports_and_exports() {
    let mut m = module(WASM32);
    let s = sig(&m, &[], &[types::I64]);
    let ext = m.declare_function("ext", Linkage::Import, &s).unwrap();
    m.declare_function("weak_undefined", Linkage::Preemptible, &s)
        .unwrap();
    constant(&mut m, "exported", Linkage::Export, 1);
    constant(&mut m, "preemptible", Linkage::Preemptible, 2);
    constant(&mut m, "local", Linkage::Local, 3);
    constant(&mut m, "hidden", Linkage::Hidden, 4);
    let caller = m.declare_function("caller", Linkage::Export, &s).unwrap();
    define_caller(&mut m, caller, ext);
    let wasm = m.finish().emit().unwrap();
    let (imports, mut exports) = interface(&wasm);
    exports.sort();
    assert_eq!(imports, ["env.ext", "env.weak_undefined"]);
    assert_eq!(exports, ["caller", "exported", "memory", "preemptible"]);
}

#[test]
fn data_layout_relocations_and_function_pointers() {
    for triple in [WASM32, WASM64] {
        let mut m = module(triple);
        let ptr = m.target_config().pointer_type();
        let pbytes = ptr.bytes() as usize;
        let seven = constant(&mut m, "seven", Linkage::Local, 7);
        let text = m
            .declare_data("text", Linkage::Local, false, false)
            .unwrap();
        let mut d = DataDescription::new();
        d.define(b"abcdef".to_vec().into());
        m.define_data(text, &d).unwrap();
        // A writable pointer to text + 2, 8-aligned.
        let ptr_obj = m.declare_data("ptr", Linkage::Export, true, false).unwrap();
        let mut d = DataDescription::new();
        d.define_zeroinit(pbytes);
        d.set_align(8);
        let gv = m.declare_data_in_data(text, &mut d);
        d.write_data_addr(0, gv, 2);
        m.define_data(ptr_obj, &d).unwrap();
        // A big zero-initialized buffer: no bytes in the module.
        let big = m.declare_data("big", Linkage::Local, true, false).unwrap();
        let mut d = DataDescription::new();
        d.define_zeroinit(1 << 20);
        d.set_align(16);
        m.define_data(big, &d).unwrap();
        // A table holding a function pointer.
        let table = m
            .declare_data("table", Linkage::Local, false, false)
            .unwrap();
        let mut d = DataDescription::new();
        d.define_zeroinit(pbytes);
        let f = m.declare_func_in_data(seven, &mut d);
        d.write_function_addr(0, f);
        m.define_data(table, &d).unwrap();

        let s = sig(&m, &[], &[types::I64]);
        let load_through = m
            .declare_function("load_through", Linkage::Export, &s)
            .unwrap();
        define(&mut m, load_through, |m, b| {
            let gv = m.declare_data_in_func(ptr_obj, b.func);
            let addr = b.ins().symbol_value(ptr, gv);
            let p = b.ins().load(ptr, MemFlagsData::trusted(), addr, 0);
            let byte = b.ins().uload8(types::I64, MemFlagsData::trusted(), p, 1);
            b.ins().return_(&[byte]);
        })
        .unwrap();
        let call_table = m
            .declare_function("call_table", Linkage::Export, &s)
            .unwrap();
        define(&mut m, call_table, |m, b| {
            let gv = m.declare_data_in_func(table, b.func);
            let addr = b.ins().symbol_value(ptr, gv);
            let fp = b.ins().load(ptr, MemFlagsData::trusted(), addr, 0);
            let fref = m.declare_func_in_func(seven, b.func);
            let direct = b.ins().func_addr(ptr, fref);
            let same = b
                .ins()
                .icmp(cranelift_codegen::ir::condcodes::IntCC::Equal, fp, direct);
            let same = b.ins().uextend(types::I64, same);
            let sigref = b.import_signature(s.clone());
            let call = b.ins().call_indirect(sigref, fp, &[]);
            let r = b.inst_results(call)[0];
            let scaled = b.ins().imul_imm_s(same, 100);
            let sum = b.ins().iadd(scaled, r);
            b.ins().return_(&[sum]);
        })
        .unwrap();
        let product = m.finish();
        let addr = |id: DataId| product.data_address(id).unwrap();
        assert!(addr(text) >= 1 << 20, "data sits above the shadow stack");
        assert_eq!(addr(ptr_obj) % 8, 0);
        assert_eq!(addr(big) % 16, 0);
        assert_eq!(product.function_slot(seven), Some(1));
        let wasm = product.emit().unwrap();
        assert!(
            wasm.len() < 4096,
            "zero-initialized data takes no bytes ({})",
            wasm.len()
        );
        assert_eq!(run(&wasm, "load_through", &[]), i64::from(b'd'));
        assert_eq!(run(&wasm, "call_table", &[]), 107, "{triple}");
        let (_, exports) = interface(&wasm);
        assert!(
            exports.contains(&"ptr".to_string()),
            "exported data: {exports:?}"
        );
    }
}

#[test]
fn memory_options() {
    let mut b = WasmBuilder::new(WASM32.parse().unwrap()).unwrap();
    b.memory(MemoryMode::Import {
        module: "host".into(),
        name: "mem".into(),
    })
    .memory_pages(20, Some(40))
    .stack_size(4096)
    .import_module("imports");
    let mut m = WasmModule::new(b);
    let s = sig(&m, &[], &[types::I64]);
    m.declare_function("f", Linkage::Import, &s).unwrap();
    let wasm = m.finish().emit().unwrap();
    let mut memory = None;
    for payload in Parser::new(0).parse_all(&wasm) {
        if let Payload::ImportSection(s) = payload.unwrap() {
            for i in s.into_imports() {
                if let TypeRef::Memory(ty) = i.unwrap().ty {
                    memory = Some((ty.initial, ty.maximum));
                }
            }
        }
    }
    assert_eq!(memory, Some((20, Some(40))));
    assert_eq!(interface(&wasm).0, ["imports.f", "host.mem"]);

    let mut b = WasmBuilder::new(WASM32.parse().unwrap()).unwrap();
    b.memory_pages(1, Some(1)).stack_size(1 << 16);
    let mut m = WasmModule::new(b);
    let d_id = m.declare_data("d", Linkage::Local, false, false).unwrap();
    let mut d = DataDescription::new();
    d.define(vec![1; 100].into());
    m.define_data(d_id, &d).unwrap();
    let err = m.finish().emit().unwrap_err().to_string();
    assert!(err.contains("maximum of 1"), "{err}");
}

#[test]
fn wasm_globals_and_reference_signatures_through_the_module() {
    let mut m = module(WASM32);
    let g = m
        .declare_wasm_global(GlobalDecl {
            name: "hits".into(),
            ty: WasmType::I64,
            mutable: true,
            init: None,
            import: None,
            export: Some("hits".into()),
        })
        .unwrap();
    let s = sig(&m, &[types::I64], &[types::I64]);
    let bump = m.declare_function("bump", Linkage::Export, &s).unwrap();
    define(&mut m, bump, |m, b| {
        let x = b.block_params(b.current_block().unwrap())[0];
        let gv = m.declare_wasm_global_in_func(g, b.func);
        let place = b.ins().symbol_value(types::I32, gv);
        let old = b.ins().load(types::I64, MemFlagsData::trusted(), place, 0);
        let new = b.ins().iadd(old, x);
        b.ins().store(MemFlagsData::trusted(), new, place, 0);
        b.ins().return_(&[new]);
    })
    .unwrap();
    let rs = sig(&m, &[types::I32], &[types::I32]);
    let identity = m
        .declare_function("identity", Linkage::Export, &rs)
        .unwrap();
    m.set_signature_refs(identity, &[WasmType::ExternRef], &[WasmType::ExternRef])
        .unwrap();
    define(&mut m, identity, |_, b| {
        let x = b.block_params(b.current_block().unwrap())[0];
        b.ins().return_(&[x]);
    })
    .unwrap();
    let err = m.set_signature_refs(bump, &[WasmType::ExternRef], &[WasmType::I64]);
    assert!(err.is_err(), "an externref cannot travel in an i64");
    let wasm = m.finish().emit().unwrap();
    assert_eq!(run(&wasm, "bump", &[5]), 5);
    let mut extern_params = false;
    for payload in Parser::new(0).parse_all(&wasm) {
        if let Payload::TypeSection(s) = payload.unwrap() {
            for group in s {
                for ty in group.unwrap().into_types() {
                    let f = ty.unwrap_func().clone();
                    extern_params |= f.params() == [ValType::EXTERNREF];
                }
            }
        }
    }
    assert!(extern_params, "identity takes an externref");
}

fn backend_error(e: ModuleError) -> String {
    match e {
        ModuleError::Backend(e) => e.to_string(),
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[test]
fn bad_declarations_and_definitions_are_errors() {
    let mut m = module(WASM32);
    let s = sig(&m, &[], &[types::I64]);
    let err = backend_error(
        m.declare_data("tls", Linkage::Local, true, true)
            .unwrap_err(),
    );
    assert!(err.contains("thread-local"), "{err}");
    assert!(m.declare_anonymous_data(false, true).is_err());

    let d_id = m.declare_data("d", Linkage::Local, false, false).unwrap();
    let err = backend_error(m.define_data(d_id, &DataDescription::new()).unwrap_err());
    assert!(err.contains("no contents"), "{err}");
    let mut d = DataDescription::new();
    d.define_zeroinit(2);
    let lib = d.import_function(ModuleRelocTarget::LibCall(
        cranelift_codegen::ir::LibCall::FloorF32,
    ));
    d.write_function_addr(0, lib);
    assert!(m.define_data(d_id, &d).is_err(), "libcall relocation");
    let mut d = DataDescription::new();
    d.define_zeroinit(2);
    let gv = m.declare_data_in_data(d_id, &mut d);
    d.write_data_addr(0, gv, 0);
    let err = backend_error(m.define_data(d_id, &d).unwrap_err());
    assert!(err.contains("does not fit"), "{err}");
    let mut d = DataDescription::new();
    d.define_zeroinit(8);
    m.define_data(d_id, &d).unwrap();
    assert!(matches!(
        m.define_data(d_id, &d),
        Err(ModuleError::DuplicateDefinition(_))
    ));
    assert!(matches!(
        m.define_data(DataId::from_u32(77), &d),
        Err(ModuleError::Undeclared(_))
    ));

    let import = m.declare_function("imp", Linkage::Import, &s).unwrap();
    assert!(matches!(
        define(&mut m, import, |_, b| {
            let c = b.ins().iconst(types::I64, 0);
            b.ins().return_(&[c]);
        }),
        Err(ModuleError::InvalidImportDefinition(_))
    ));
    let other = sig(&m, &[types::I32], &[]);
    assert!(matches!(
        m.declare_function("imp", Linkage::Import, &other),
        Err(ModuleError::IncompatibleSignature(..))
    ));
    assert!(matches!(
        m.declare_function("d", Linkage::Import, &s),
        Err(ModuleError::IncompatibleDeclaration(_))
    ));
    let mut ctx = m.make_context();
    assert!(matches!(
        m.define_function(FuncId::from_u32(99), &mut ctx),
        Err(ModuleError::Undeclared(_))
    ));
    let f = m.declare_function("f", Linkage::Local, &s).unwrap();
    // A body whose signature is not the declared one.
    let mut ctx = m.make_context();
    ctx.func.signature = sig(&m, &[types::I32], &[types::I64]);
    assert!(matches!(
        m.define_function(f, &mut ctx),
        Err(ModuleError::IncompatibleSignature(..))
    ));
    let err = backend_error(m.define_function_bytes(f, 1, &[0xc3], &[]).unwrap_err());
    assert!(err.contains("machine code"), "{err}");
    // A reference to a function of another module: an error when defined, not a panic.
    assert!(matches!(
        define(&mut m, f, |m, b| {
            let foreign = m.declare_func_in_func(FuncId::from_u32(500), b.func);
            let call = b.ins().call(foreign, &[]);
            let r = b.inst_results(call).first().copied();
            let r = r.unwrap_or_else(|| b.ins().iconst(types::I64, 0));
            b.ins().return_(&[r]);
        }),
        Err(ModuleError::Undeclared(_))
    ));
    // Lowering errors name the function by its declared name.
    let wide = sig(&m, &[types::I128], &[types::I128]);
    let g = m.declare_function("wide", Linkage::Export, &wide).unwrap();
    let err = backend_error(
        define(&mut m, g, |_, b| {
            let x = b.block_params(b.current_block().unwrap())[0];
            b.ins().return_(&[x]);
        })
        .unwrap_err(),
    );
    assert!(err.contains("wide") && err.contains("i128"), "{err}");
    // `needed` is Local, called, and never defined.
    let needed = m.declare_function("needed", Linkage::Local, &s).unwrap();
    let user = m.declare_function("user", Linkage::Export, &s).unwrap();
    define_caller(&mut m, user, needed);
    let err = backend_error(m.finish().emit().unwrap_err());
    assert!(err.contains("never defined"), "{err}");
}

#[test]
fn module_level_errors_surface_at_emit() {
    // Imported data that code uses.
    let mut m = module(WASM32);
    let d = m
        .declare_data("outside", Linkage::Import, false, false)
        .unwrap();
    let s = sig(&m, &[], &[types::I32]);
    let f = m.declare_function("f", Linkage::Export, &s).unwrap();
    define(&mut m, f, |m, b| {
        let gv = m.declare_data_in_func(d, b.func);
        let a = b.ins().symbol_value(types::I32, gv);
        b.ins().return_(&[a]);
    })
    .unwrap();
    let err = backend_error(m.finish().emit().unwrap_err());
    assert!(err.contains("cannot import data"), "{err}");

    // Two exports with one name.
    let mut m = module(WASM32);
    constant(&mut m, "memory", Linkage::Export, 1);
    let err = backend_error(m.finish().emit().unwrap_err());
    assert!(err.contains("two exports"), "{err}");

    // Features the builder does not allow: wasm64 needs memory64.
    let mut b = WasmBuilder::new(WASM64.parse().unwrap()).unwrap();
    b.features(wasmparser::WasmFeatures::WASM1);
    let mut m = WasmModule::new(b);
    constant(&mut m, "one", Linkage::Export, 1);
    let err = backend_error(m.finish().emit().unwrap_err());
    assert!(err.contains("MEMORY64"), "{err}");
}

/// Like `run`, with `env.ext` (returning 5) provided.
fn run_with_ext(wasm: &[u8], name: &str) -> i64 {
    let mut config = wasmtime::Config::new();
    config.wasm_memory64(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let module = wasmtime::Module::new(&engine, wasm).unwrap();
    let mut linker = wasmtime::Linker::new(&engine);
    linker.func_wrap("env", "ext", || 5i64).unwrap();
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let f = instance
        .get_typed_func::<(), i64>(&mut store, name)
        .unwrap();
    f.call(&mut store, ()).unwrap()
}

#[test]
/// memset, memmove and memcmp from cranelift-frontend's helpers, and an `iadd_imm` global
/// value of a data symbol, on wasm32 and wasm64.
fn memory_libcalls_and_derived_symbols() {
    for triple in [WASM32, WASM64] {
        let mut m = module(triple);
        let ptr = m.target_config().pointer_type();
        let buf = m.declare_data("buf", Linkage::Local, true, false).unwrap();
        let mut d = DataDescription::new();
        d.define_zeroinit(32);
        d.set_align(8);
        m.define_data(buf, &d).unwrap();
        let s = sig(&m, &[], &[types::I64]);
        let f = m
            .declare_function("fill_copy", Linkage::Export, &s)
            .unwrap();
        define(&mut m, f, |m, b| {
            let config = m.target_config();
            let gv = m.declare_data_in_func(buf, b.func);
            let upper =
                b.func
                    .create_global_value(cranelift_codegen::ir::GlobalValueData::IAddImm {
                        base: gv,
                        offset: 8.into(),
                        global_type: ptr,
                    });
            let base = b.ins().symbol_value(ptr, gv);
            let high = b.ins().symbol_value(ptr, upper);
            let ch = b.ins().iconst(types::I8, 0x41);
            let n = b.ins().iconst(ptr, 3);
            b.call_memset(config, base, ch, n);
            let four = b.ins().iconst(ptr, 4);
            b.call_memmove(config, high, base, four);
            let v = b.ins().load(types::I64, MemFlagsData::trusted(), high, 0);
            let same = b.call_memcmp(config, base, high, four);
            let b_byte = b.ins().iconst(types::I8, 0x42);
            b.ins().store(MemFlagsData::trusted(), b_byte, high, 1);
            let less = b.call_memcmp(config, base, high, four);
            let eight = b.ins().iconst(ptr, 8);
            let after = b.call_memcmp(config, base, high, eight);
            let flags = [same, less, after].map(|c| b.ins().sextend(types::I64, c));
            // v * 1_000_000 + same * 10_000 + less * 100 + after
            let v = b.ins().imul_imm_s(v, 1_000_000);
            let same = b.ins().imul_imm_s(flags[0], 10_000);
            let less = b.ins().imul_imm_s(flags[1], 100);
            let sum = b.ins().iadd(v, same);
            let sum = b.ins().iadd(sum, less);
            let sum = b.ins().iadd(sum, flags[2]);
            b.ins().return_(&[sum]);
        })
        .unwrap();
        let wasm = m.finish().emit().unwrap();
        // "AAA\0" copied 8 bytes up: the little-endian i64 0x00414141. Equal, then the
        // first difference is 'A' - 'B' = -1 (with 4 and with 8 bytes compared).
        assert_eq!(
            run(&wasm, "fill_copy", &[]),
            0x0041_4141 * 1_000_000 - 100 - 1,
            "{triple}"
        );
    }
}

#[test]
fn relocations_to_imports_anonymous_objects_and_negative_addends() {
    let mut m = module(WASM64);
    let ptr = m.target_config().pointer_type();
    let s = sig(&m, &[], &[types::I64]);
    let ext = m.declare_function("ext", Linkage::Import, &s).unwrap();
    let anon_f = m.declare_anonymous_function(&s).unwrap();
    define(&mut m, anon_f, |_, b| {
        let c = b.ins().iconst(types::I64, 11);
        b.ins().return_(&[c]);
    })
    .unwrap();
    // Declared Local but never used or defined: no error.
    m.declare_function("unused", Linkage::Local, &s).unwrap();
    let zeros = m
        .declare_data("zeros", Linkage::Hidden, true, false)
        .unwrap();
    let mut d = DataDescription::new();
    d.define_zeroinit(64);
    m.define_data(zeros, &d).unwrap();
    // An anonymous table: [ext, anon_f, &zeros[16] - 8].
    let table = m.declare_anonymous_data(false, false).unwrap();
    let mut d = DataDescription::new();
    d.define_zeroinit(24);
    let r0 = m.declare_func_in_data(ext, &mut d);
    let r1 = m.declare_func_in_data(anon_f, &mut d);
    let gz = m.declare_data_in_data(zeros, &mut d);
    d.write_function_addr(0, r0);
    d.write_function_addr(8, r1);
    d.write_data_addr(16, gz, 8);
    m.define_data(table, &d).unwrap();
    let f = m.declare_function("probe", Linkage::Export, &s).unwrap();
    define(&mut m, f, |m, b| {
        let gv = m.declare_data_in_func(table, b.func);
        let t = b.ins().symbol_value(ptr, gv);
        let flags = MemFlagsData::trusted();
        let p0 = b.ins().load(ptr, flags, t, 0);
        let p1 = b.ins().load(ptr, flags, t, 8);
        let p2 = b.ins().load(ptr, flags, t, 16);
        let ext_ref = m.declare_func_in_func(ext, b.func);
        let ext_addr = b.ins().func_addr(ptr, ext_ref);
        let eq = b
            .ins()
            .icmp(cranelift_codegen::ir::condcodes::IntCC::Equal, p0, ext_addr);
        let eq = b.ins().uextend(types::I64, eq);
        let sigref = b.import_signature(s.clone());
        let c0 = b.ins().call_indirect(sigref, p0, &[]);
        let c1 = b.ins().call_indirect(sigref, p1, &[]);
        let (c0, c1) = (b.inst_results(c0)[0], b.inst_results(c1)[0]);
        let zg = m.declare_data_in_func(zeros, b.func);
        let z = b.ins().symbol_value(ptr, zg);
        let delta = b.ins().isub(p2, z);
        // eq * 10000 + c0 * 100 + c1 + delta * 1000
        let a = b.ins().imul_imm_s(eq, 10000);
        let c0 = b.ins().imul_imm_s(c0, 100);
        let d = b.ins().imul_imm_s(delta, 1000);
        let sum = b.ins().iadd(a, c0);
        let sum = b.ins().iadd(sum, c1);
        let sum = b.ins().iadd(sum, d);
        b.ins().return_(&[sum]);
    })
    .unwrap();
    let product = m.finish();
    assert!(product.function_slot(ext).is_some());
    let wasm = product.emit().unwrap();
    assert_eq!(run_with_ext(&wasm, "probe"), 10000 + 500 + 11 + 8000);
}

#[test]
fn retrying_a_failed_definition() {
    let mut m = module(WASM32);
    let s = sig(&m, &[types::I64], &[types::I64]);
    let f = m.declare_function("f", Linkage::Export, &s).unwrap();
    let bad = define(&mut m, f, |_, b| {
        let x = b.block_params(b.current_block().unwrap())[0];
        let wide = b.ins().sextend(types::I128, x);
        let back = b.ins().ireduce(types::I64, wide);
        b.ins().return_(&[back]);
    });
    assert!(bad.is_err());
    define(&mut m, f, |_, b| {
        let x = b.block_params(b.current_block().unwrap())[0];
        let y = b.ins().iadd_imm_s(x, 1);
        b.ins().return_(&[y]);
    })
    .unwrap();
    assert_eq!(run(&m.finish().emit().unwrap(), "f", &[41]), 42);
}

#[test]
fn sizes_alignments_and_limits_are_errors_not_panics() {
    let mut m = module(WASM32);
    let d_id = m.declare_data("d", Linkage::Local, false, false).unwrap();
    let mut d = DataDescription::new();
    d.define(vec![1].into());
    d.align = Some(1 << 63);
    assert!(m.define_data(d_id, &d).is_err(), "huge alignment");
    d.align = Some(3);
    assert!(
        m.define_data(d_id, &d).is_err(),
        "alignment not a power of two"
    );
    let mut d = DataDescription::new();
    d.define_zeroinit(usize::MAX);
    let own = m.declare_data_in_data(d_id, &mut d);
    d.write_data_addr(0, own, 0);
    assert!(m.define_data(d_id, &d).is_err(), "more than memory");
    let mut d = DataDescription::new();
    d.define_zeroinit(5 << 30);
    assert!(
        m.define_data(d_id, &d).is_err(),
        "more than 4 GiB on wasm32"
    );
    // Foreign ids in data and in functions.
    let mut d = DataDescription::new();
    d.define_zeroinit(8);
    let foreign = m.declare_func_in_data(FuncId::from_u32(999), &mut d);
    d.write_function_addr(0, foreign);
    assert!(matches!(
        m.define_data(d_id, &d),
        Err(ModuleError::Undeclared(_))
    ));
    let mut d = DataDescription::new();
    d.define_zeroinit(8);
    let foreign = m.declare_data_in_data(DataId::from_u32(999), &mut d);
    d.write_data_addr(0, foreign, 0);
    assert!(matches!(
        m.define_data(d_id, &d),
        Err(ModuleError::Undeclared(_))
    ));
    let s = sig(&m, &[], &[types::I32]);
    let f = m.declare_function("f", Linkage::Export, &s).unwrap();
    assert!(matches!(
        define(&mut m, f, |m, b| {
            let gv = m.declare_data_in_func(DataId::from_u32(999), b.func);
            let a = b.ins().symbol_value(types::I32, gv);
            b.ins().return_(&[a]);
        }),
        Err(ModuleError::Undeclared(_))
    ));

    let limits: [(u64, u64, Option<u64>); 3] = [
        (u64::MAX, 0, None),         // the stack alone is beyond any memory
        (1 << 16, 5, Some(2)),       // maximum below minimum
        (1 << 16, 0, Some(1 << 17)), // more than wasm32's 65536 pages
    ];
    for (stack, min, max) in limits {
        let mut b = WasmBuilder::new(WASM32.parse().unwrap()).unwrap();
        b.stack_size(stack).memory_pages(min, max);
        let err = WasmModule::new(b).finish().emit();
        assert!(err.is_err(), "stack {stack}, pages {min}..{max:?}");
    }
}

/// `WasmBuilder::local_names(false)` leaves the locals unnamed; the module runs the same.
#[test]
fn builder_can_leave_local_names_out() {
    let mut printed = Vec::new();
    for names in [true, false] {
        let mut b = WasmBuilder::new(WASM64.parse().unwrap()).unwrap();
        b.local_names(names);
        let mut m = WasmModule::new(b);
        let s = sig(&m, &[types::I64], &[types::I64]);
        let id = m
            .declare_function("square_plus", Linkage::Export, &s)
            .unwrap();
        define(&mut m, id, |_, b| {
            let x = b.block_params(b.current_block().unwrap())[0];
            let sq = b.ins().imul(x, x);
            let r = b.ins().iadd(sq, x);
            b.ins().return_(&[r]);
        })
        .unwrap();
        let wasm = m.finish().emit().unwrap();
        assert_eq!(run(&wasm, "square_plus", &[7]), 56);
        printed.push(wasmprinter::print_bytes(&wasm).unwrap());
    }
    assert!(printed[0].contains("$v0"), "{}", printed[0]);
    assert!(!printed[1].contains("$v0"), "{}", printed[1]);
    assert!(printed[1].contains("$square_plus"), "{}", printed[1]);
}
