//! The embedder API with cranelift-frontend's `FunctionBuilder`.

use cranelift_codegen::ir::{types, Function, InstBuilder, Signature, UserFuncName};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_offheap::builder::{self, set_signature};
use cranelift_offheap::text::{parse, print};
use cranelift_offheap::{
    declare_value_slot, value_slot_type, verify, ConstValue, FuncRefs, GlobalDecl, ModuleDecls,
    RefType, Rule, SigRefs, TableDecl, WasmType,
};

fn decls() -> ModuleDecls {
    let mut d = ModuleDecls::new();
    d.declare_global(GlobalDecl {
        name: "last".into(),
        ty: WasmType::ExternRef,
        mutable: true,
        init: Some(ConstValue::Null),
        import: None,
        export: Some("last".into()),
    })
    .unwrap();
    d.declare_table(TableDecl {
        name: "objs".into(),
        elem: RefType::Extern,
        min: 4,
        max: None,
        import: None,
        export: None,
    })
    .unwrap();
    d
}

/// `keep(x)`: x goes through a value slot, a global and a table, and comes back.
fn build(decls: &mut ModuleDecls) -> Function {
    let mut func = Function::with_name_signature(
        UserFuncName::testcase("keep"),
        Signature::new(CallConv::Fast),
    );
    set_signature(
        decls,
        &mut func,
        &[WasmType::ExternRef],
        &[WasmType::ExternRef, WasmType::I32],
    );
    let mut ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut ctx);
    let slot = declare_value_slot(b.func, WasmType::ExternRef);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let x = b.block_params(block)[0];
    b.ins().stack_store(types::I64, x, slot, 0);
    let y = b.ins().stack_load(types::I64, types::I32, slot, 0);
    let last = decls.global_by_name("last").unwrap();
    builder::global_set(decls, &mut b, last, y, types::I64);
    let z = builder::global_get(decls, &mut b, last, types::I64);
    let table = decls.table_by_name("objs").unwrap();
    let index = b.ins().iconst(types::I32, 1);
    builder::table_set(decls, &mut b, table, index, z, types::I64);
    let w = builder::table_get(decls, &mut b, table, index, types::I64);
    let null = builder::ref_null(decls, &mut b, RefType::Extern);
    let is_null = builder::ref_is_null(decls, &mut b, RefType::Extern, null);
    b.ins().return_(&[w, is_null]);
    b.finalize(TargetFrontendConfig {
        default_call_conv: CallConv::Fast,
        pointer_width: target_lexicon::PointerWidth::U64,
        page_size_align_log2: 16,
    });
    func
}

#[test]
fn a_function_built_with_the_api_verifies_and_round_trips() {
    let mut d = decls();
    let func = build(&mut d);
    verify(&func, &d).unwrap_or_else(|e| panic!("{e:?}\n{}", func.display()));
    let slot = func.sized_stack_slots.keys().next().unwrap();
    assert_eq!(value_slot_type(&func, slot), Some(WasmType::ExternRef));
    assert!(func.global_values.keys().all(|gv| d.is_off_heap(&func, gv)));
    let text = print(&d, std::slice::from_ref(&func));
    assert!(text.contains("value_slot externref"), "{text}");
    assert!(text.contains("wasm_global %last"), "{text}");
    assert!(
        text.contains("function %keep(externref) -> externref, i32"),
        "{text}"
    );
    let (d2, funcs) = parse(&text).unwrap();
    assert_eq!(d2.globals, d.globals);
    assert_eq!(funcs[0].display().to_string(), func.display().to_string());
    assert_eq!(print(&d2, &funcs), text);
}

#[test]
fn a_side_table_that_does_not_fit_its_signature_is_rejected() {
    let mut d = decls();
    let func = build(&mut d);
    let bad = FuncRefs {
        signature: SigRefs {
            params: vec![Some(RefType::Extern), None, None],
            returns: vec![],
        },
        ..FuncRefs::default()
    };
    d.set_func_refs("%keep", bad);
    let errors = verify(&func, &d).unwrap_err();
    assert!(
        errors.iter().any(|e| e.rule == Rule::RefSignature),
        "{errors:?}"
    );
}

#[test]
fn declarations_are_checked() {
    let mut d = decls();
    assert!(
        d.declare_global(GlobalDecl {
            name: "last".into(),
            ty: WasmType::I32,
            mutable: false,
            init: None,
            import: None,
            export: None,
        })
        .is_err(),
        "duplicate name"
    );
    assert!(
        d.declare_global(GlobalDecl {
            name: "x".into(),
            ty: WasmType::I32,
            mutable: false,
            init: Some(ConstValue::I64(1)),
            import: None,
            export: None,
        })
        .is_err(),
        "initial value of the wrong type"
    );
    assert!(
        d.declare_table(TableDecl {
            name: "t2".into(),
            elem: RefType::Func,
            min: 5,
            max: Some(2),
            import: None,
            export: None,
        })
        .is_err(),
        "max below min"
    );
    assert!(
        parse("global %x: i32 = 1 import \"env\" \"x\"\n").is_err(),
        "import with an initial value"
    );
    assert!(
        parse("table %t: i32 min 1\n").is_err(),
        "table of non-references"
    );
}
