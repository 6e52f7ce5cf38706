//! Module layouts: a declared memory with data segments, the bulk-memory and memory-size
//! intrinsics, a declared function table filled by elem segments, extra exports and a
//! start function.

use crate::harness::build_with_layout;
use cranelift_codegen::data_value::DataValue;
use wasm_emit::{DataSegment, ElemSegment, MemoryLayout, ModuleLayout, SegmentMode};

const PROGRAM: &str = "
table %t0: funcref min 6 max 6

function %seven() -> i32 {
block0:
    v0 = iconst.i32 7
    return v0
}

function %eight() -> i32 {
block0:
    v0 = iconst.i32 8
    return v0
}

function %callt(i32) -> i32 {
    sig0 = () -> i32
block0(v0: i32):
    v1 = call_indirect sig0, v0()
    return v1
}

function %addr() -> i32 {
    fn0 = %eight() -> i32
block0:
    v0 = func_addr.i32 fn0
    return v0
}

function %peek(i32) -> i32 {
block0(v0: i32):
    v1 = load.i32 v0
    return v1
}

function %size() -> i32 {
    fn0 = %__wasm_memory_size() -> i32
block0:
    v0 = call fn0()
    return v0
}

function %grow(i32) -> i32 {
    fn0 = %__wasm_memory_grow(i32) -> i32
block0(v0: i32):
    v1 = call fn0(v0)
    return v1
}

function %fill_copy() -> i32, i32 {
    fn0 = %__wasm_memory_fill(i32, i32, i32)
    fn1 = %__wasm_memory_copy(i32, i32, i32)
block0:
    v0 = iconst.i32 2048
    v1 = iconst.i32 0xab
    v2 = iconst.i32 4
    call fn0(v0, v1, v2)
    v3 = iconst.i32 3000
    v4 = iconst.i32 1024
    call fn1(v3, v4, v2)
    v5 = load.i32 v0
    v6 = load.i32 v3
    return v5, v6
}

function %init() -> i32 {
    fn0 = %__wasm_memory_init(i32, i32, i32, i32)
    fn1 = %__wasm_data_drop(i32)
block0:
    v0 = iconst.i32 1
    v1 = iconst.i32 4096
    v2 = iconst.i32 0
    v3 = iconst.i32 4
    call fn0(v0, v1, v2, v3)
    call fn1(v0)
    v4 = load.i32 v1
    return v4
}

function %table_init() -> i32 {
    gv0 = wasm_table %t0
    fn0 = %__wasm_table_init(i32, i32, i32, i32, i32)
    fn1 = %__wasm_elem_drop(i32)
    fn2 = %__wasm_table_copy(i32, i32, i32, i32, i32)
    sig9 = () -> i32
block0:
    v0 = symbol_value.i32 gv0
    v1 = iconst.i32 1
    v2 = iconst.i32 4
    v3 = iconst.i32 0
    call fn0(v0, v1, v2, v3, v1)
    call fn1(v1)
    v4 = iconst.i32 5
    call fn2(v0, v0, v4, v2, v1)
    v5 = call_indirect sig9, v4()
    return v5
}

function %start() {
block0:
    v0 = iconst.i32 512
    v1 = iconst.i32 77
    store v1, v0
    return
}
";

fn layout(decls: &cranelift_offheap::ModuleDecls) -> ModuleLayout {
    let t0 = decls.table_by_name("t0").expect("declared");
    let name = |n: &str| Some(format!("%{n}"));
    ModuleLayout {
        memory: Some(MemoryLayout {
            min_pages: 1,
            max_pages: Some(2),
            import: None,
            exports: vec!["mem".into()],
        }),
        data: vec![
            DataSegment {
                mode: SegmentMode::Active { offset: 1024 },
                bytes: vec![1, 2, 3, 4],
            },
            DataSegment {
                mode: SegmentMode::Passive,
                bytes: vec![9, 9, 9, 9],
            },
        ],
        function_table: Some(t0),
        elems: vec![
            ElemSegment {
                mode: SegmentMode::Active { offset: 2 },
                table: Some(t0),
                funcs: vec![name("seven"), name("eight")],
            },
            ElemSegment {
                mode: SegmentMode::Passive,
                table: None,
                funcs: vec![name("seven")],
            },
        ],
        imports: Vec::new(),
        exports: vec![("seven_alias".into(), "%seven".into())],
        start: Some("%start".into()),
        ..ModuleLayout::default()
    }
}

#[test]
fn declared_memory_segments_and_table() {
    let m = build_with_layout(PROGRAM, layout);
    let i32v = DataValue::I32;
    // The start function ran at instantiation.
    m.expect("peek", &[i32v(512)], &[i32v(77)]);
    // The active data segment is in place.
    m.expect("peek", &[i32v(1024)], &[i32v(0x0403_0201)]);
    m.expect("size", &[], &[i32v(1)]);
    m.expect("grow", &[i32v(1)], &[i32v(1)]);
    m.expect("grow", &[i32v(2)], &[i32v(-1)]);
    m.expect_trap("peek", &[i32v(65536)]);
    m.expect(
        "fill_copy",
        &[],
        &[i32v(0xabab_abab_u32 as i32), i32v(0x0403_0201)],
    );
    m.expect("init", &[], &[i32v(0x0909_0909)]);
    // The elem segment put %seven and %eight at slots 2 and 3 of the declared table.
    m.expect("callt", &[i32v(2)], &[i32v(7)]);
    m.expect("callt", &[i32v(3)], &[i32v(8)]);
    m.expect_trap("callt", &[i32v(0)]);
    m.expect_trap("callt", &[i32v(6)]);
    m.expect("addr", &[], &[i32v(3)]);
    // table.init from the passive segment, then table.copy of slot 4 into slot 5.
    m.expect("table_init", &[], &[i32v(7)]);
    let exports: Vec<&str> = m.module.exports().map(|e| e.name()).collect();
    assert!(exports.contains(&"seven_alias") && exports.contains(&"mem"));
    assert!(!exports.contains(&"memory"));
}

#[test]
fn layout_names_must_exist() {
    let (decls, funcs) = crate::harness::parse_module(PROGRAM);
    let mut l = layout(&decls);
    l.start = Some("%missing".into());
    let err = wasm_emit::compile_with_layout(&funcs, &decls, &l, &Default::default())
        .expect_err("an unknown start function is an error");
    assert!(err.to_string().contains("start function"), "{err}");
    let mut l = layout(&decls);
    l.elems[0].table = None;
    let err = wasm_emit::compile_with_layout(&funcs, &decls, &l, &Default::default())
        .expect_err("an active segment without a table is an error");
    assert!(err.to_string().contains("names no table"), "{err}");
}

#[test]
fn segment_index_out_of_range() {
    let text = "function %f() {\n    fn0 = %__wasm_data_drop(i32)\nblock0:\n    v0 = iconst.i32 3\n    call fn0(v0)\n    return\n}\n";
    let (decls, funcs) = crate::harness::parse_module(text);
    let err = wasm_emit::compile_with_layout(
        &funcs,
        &decls,
        &ModuleLayout::default(),
        &Default::default(),
    )
    .expect_err("segment 3 does not exist");
    assert!(
        err.to_string().contains("segment 3 does not exist"),
        "{err}"
    );
}

#[test]
fn memory_intrinsics_take_pointer_width() {
    let text = "function %f() -> i64 {\n    fn0 = %__wasm_memory_size() -> i64\nblock0:\n    v0 = call fn0()\n    return v0\n}\n";
    let (decls, funcs) = crate::harness::parse_module(text);
    let err = wasm_emit::compile_module(&funcs, &decls, &Default::default())
        .expect_err("i64 memory size on wasm32");
    assert!(err.to_string().contains("pointer type"), "{err}");
}
