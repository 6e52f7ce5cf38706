//! Building off-heap code with `cranelift-frontend`: reference-typed signatures, wasm
//! global accesses and intrinsic calls.
//!
//! Value slots need no helper beyond [`declare_value_slot`](crate::declare_value_slot):
//! `builder.ins().stack_load(ptr, ty, slot, 0)` and `stack_store(ptr, v, slot, 0)` emit
//! exactly the `stack_addr` + `load`/`store` pattern a value slot allows.

use crate::decls::{GlobalId, ModuleDecls, SigRefs, TableId};
use crate::intrinsics::{Intrinsic, Operand};
use crate::types::{RefType, WasmType};
use cranelift_codegen::ir::{
    self, AbiParam, ExtFuncData, ExternalName, FuncRef, InstBuilder, MemFlagsData, SigRef,
    Signature, Type, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;

/// A CLIF signature for wasm types (references become i32 parameters).
pub fn clif_signature(params: &[WasmType], returns: &[WasmType], call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params = params.iter().map(|t| AbiParam::new(t.clif())).collect();
    sig.returns = returns.iter().map(|t| AbiParam::new(t.clif())).collect();
    sig
}

/// Set `func`'s own signature, recording its reference types in `decls`. Set the
/// function's name first: the side table is kept by name.
pub fn set_signature(
    decls: &mut ModuleDecls,
    func: &mut ir::Function,
    params: &[WasmType],
    returns: &[WasmType],
) {
    func.signature = clif_signature(params, returns, func.signature.call_conv);
    decls.func_refs_mut(&func.name.to_string()).signature = SigRefs::of(params, returns);
}

/// Import a signature (for `call_indirect`, or a callee) with reference types.
pub fn import_signature(
    decls: &mut ModuleDecls,
    func: &mut ir::Function,
    params: &[WasmType],
    returns: &[WasmType],
    call_conv: CallConv,
) -> SigRef {
    let sig = func.import_signature(clif_signature(params, returns, call_conv));
    let refs = SigRefs::of(params, returns);
    if !refs.is_plain() {
        decls
            .func_refs_mut(&func.name.to_string())
            .sigs
            .insert(sig, refs);
    }
    sig
}

/// Declare a callee `name` with reference types.
pub fn import_function(
    decls: &mut ModuleDecls,
    func: &mut ir::Function,
    name: ExternalName,
    params: &[WasmType],
    returns: &[WasmType],
    call_conv: CallConv,
) -> FuncRef {
    let signature = import_signature(decls, func, params, returns, call_conv);
    func.import_function(ExtFuncData {
        name,
        signature,
        colocated: false,
        patchable: false,
    })
}

/// The callee for intrinsic `i` in `func` (declared on first use). `elem` is the element
/// type of the table for table intrinsics; `int` the pointer type (of table handles,
/// `func_addr`s, and memory addresses and sizes).
pub fn intrinsic(
    decls: &mut ModuleDecls,
    func: &mut ir::Function,
    i: Intrinsic,
    elem: Option<RefType>,
    int: Type,
) -> FuncRef {
    let (params, results) = i.operands();
    let resolve = |o: &Operand| match o {
        Operand::Is(t) => *t,
        Operand::AnyInt | Operand::Addr => WasmType::of_clif(int).unwrap_or(WasmType::I32),
        Operand::Segment => WasmType::I32,
        Operand::Elem => elem.unwrap_or(RefType::Extern).wasm(),
    };
    let params: Vec<WasmType> = params.iter().map(resolve).collect();
    let results: Vec<WasmType> = results.iter().map(resolve).collect();
    let name = ExternalName::testcase(i.name());
    let want = clif_signature(&params, &results, CallConv::Fast);
    let refs = SigRefs::of(&params, &results);
    let existing = func.dfg.ext_funcs.iter().find(|(_, ext)| {
        ext.name == name
            && func.dfg.signatures[ext.signature].params == want.params
            && decls
                .func_refs(&func.name.to_string())
                .and_then(|f| f.sig(ext.signature))
                .map_or(refs.is_plain(), |r| *r == refs)
    });
    if let Some((fr, _)) = existing {
        return fr;
    }
    import_function(decls, func, name, &params, &results, CallConv::Fast)
}

/// The pointer-sized integer type `builder`'s target uses for handles and addresses.
fn table_handle(
    decls: &ModuleDecls,
    builder: &mut FunctionBuilder,
    table: TableId,
    int: Type,
) -> Value {
    let gv = decls.reference_table(builder.func, table);
    builder.ins().symbol_value(int, gv)
}

/// `global.get`: load wasm global `id` (through `symbol_value.int` and a plain load).
pub fn global_get(
    decls: &ModuleDecls,
    builder: &mut FunctionBuilder,
    id: GlobalId,
    int: Type,
) -> Value {
    let ty = decls.globals[id].ty.clif();
    let gv = decls.reference_global(builder.func, id);
    let addr = builder.ins().symbol_value(int, gv);
    builder.ins().load(ty, MemFlagsData::trusted(), addr, 0)
}

/// `global.set`: store `value` into wasm global `id`.
pub fn global_set(
    decls: &ModuleDecls,
    builder: &mut FunctionBuilder,
    id: GlobalId,
    value: Value,
    int: Type,
) {
    let gv = decls.reference_global(builder.func, id);
    let addr = builder.ins().symbol_value(int, gv);
    builder.ins().store(MemFlagsData::trusted(), value, addr, 0);
}

fn call(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    i: Intrinsic,
    elem: Option<RefType>,
    int: Type,
    args: &[Value],
) -> Option<Value> {
    let callee = intrinsic(decls, builder.func, i, elem, int);
    let inst = builder.ins().call(callee, args);
    builder.inst_results(inst).first().copied()
}

/// `ref.null` of `r`.
pub fn ref_null(decls: &mut ModuleDecls, builder: &mut FunctionBuilder, r: RefType) -> Value {
    call(
        decls,
        builder,
        Intrinsic::RefNull(r),
        None,
        ir::types::I32,
        &[],
    )
    .expect("ref.null has a result")
}

/// `ref.is_null` of the reference `value` of type `r` (an i32 0 or 1).
pub fn ref_is_null(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    r: RefType,
    value: Value,
) -> Value {
    call(
        decls,
        builder,
        Intrinsic::RefIsNull(r),
        None,
        ir::types::I32,
        &[value],
    )
    .expect("ref.is_null has a result")
}

/// `ref.func` of the callee `callee` (a `funcref`).
pub fn ref_func(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    callee: FuncRef,
    int: Type,
) -> Value {
    let addr = builder.ins().func_addr(int, callee);
    call(decls, builder, Intrinsic::RefFunc, None, int, &[addr]).expect("ref.func has a result")
}

/// `table.get` from `table` at `index` (i32).
pub fn table_get(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    table: TableId,
    index: Value,
    int: Type,
) -> Value {
    let elem = decls.tables[table].elem;
    let t = table_handle(decls, builder, table, int);
    call(
        decls,
        builder,
        Intrinsic::TableGet,
        Some(elem),
        int,
        &[t, index],
    )
    .expect("table.get has a result")
}

/// `table.set` of `value` into `table` at `index`.
pub fn table_set(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    table: TableId,
    index: Value,
    value: Value,
    int: Type,
) {
    let elem = decls.tables[table].elem;
    let t = table_handle(decls, builder, table, int);
    call(
        decls,
        builder,
        Intrinsic::TableSet,
        Some(elem),
        int,
        &[t, index, value],
    );
}

/// `table.size` of `table` (i32).
pub fn table_size(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    table: TableId,
    int: Type,
) -> Value {
    let elem = decls.tables[table].elem;
    let t = table_handle(decls, builder, table, int);
    call(decls, builder, Intrinsic::TableSize, Some(elem), int, &[t])
        .expect("table.size has a result")
}

/// `table.grow` of `table` by `delta` entries set to `init`; the old size or -1.
pub fn table_grow(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    table: TableId,
    init: Value,
    delta: Value,
    int: Type,
) -> Value {
    let elem = decls.tables[table].elem;
    let t = table_handle(decls, builder, table, int);
    call(
        decls,
        builder,
        Intrinsic::TableGrow,
        Some(elem),
        int,
        &[t, init, delta],
    )
    .expect("table.grow has a result")
}

/// `table.fill` of `count` entries of `table` from `start` with `value`.
pub fn table_fill(
    decls: &mut ModuleDecls,
    builder: &mut FunctionBuilder,
    table: TableId,
    start: Value,
    value: Value,
    count: Value,
    int: Type,
) {
    let elem = decls.tables[table].elem;
    let t = table_handle(decls, builder, table, int);
    call(
        decls,
        builder,
        Intrinsic::TableFill,
        Some(elem),
        int,
        &[t, start, value, count],
    );
}
