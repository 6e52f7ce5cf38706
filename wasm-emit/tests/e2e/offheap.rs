//! Off-heap definitions lowered and run in wasmtime, with rooted externrefs: value slots
//! become locals, wasm globals become globals, references stay references, and none of it
//! touches linear memory.

use cranelift_codegen::ir;
use cranelift_offheap::text::parse;
use cranelift_offheap::ModuleDecls;
use std::path::{Path, PathBuf};
use wasm_emit::runtest::Executor;
use wasm_emit::{compile_module, Options, Target};
use wasmtime::{ExternRef, Instance, Rooted, Store, Val};

fn compile_text(text: &str, target: Target) -> (ModuleDecls, Vec<ir::Function>, Vec<u8>) {
    let (decls, funcs) = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let options = Options {
        target,
        ..Options::default()
    };
    let bytes = compile_module(&funcs, &decls, &options).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (decls, funcs, bytes)
}

fn example() -> String {
    std::fs::read_to_string(Path::new(&manifest_dir()).join("../examples/offheap.clif")).unwrap()
}

#[test]
fn externrefs_round_trip_through_slot_global_and_table() {
    let exec = Executor::new().unwrap();
    for target in [Target::wasm32(), Target::wasm64()] {
        let (_, _, bytes) = compile_text(&example(), target);
        let module = exec.load(&bytes).unwrap();
        let mut store = Store::new(exec.engine(), ());
        store.set_fuel(u64::MAX).unwrap();
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let keep = instance.get_func(&mut store, "keep").unwrap();
        let is_empty = instance
            .get_typed_func::<i32, i32>(&mut store, "is_empty")
            .unwrap();
        assert_eq!(is_empty.call(&mut store, 1).unwrap(), 1);
        let mut kept: Vec<Rooted<ExternRef>> = Vec::new();
        for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
            let obj = ExternRef::new(&mut store, name.to_string()).unwrap();
            let mut out = [Val::I32(0)];
            keep.call(
                &mut store,
                &[Val::ExternRef(Some(obj)), Val::I32(i as i32)],
                &mut out,
            )
            .unwrap();
            let Val::ExternRef(Some(back)) = out[0] else {
                panic!("keep returned {:?}", out[0]);
            };
            assert!(
                Rooted::ref_eq(&store, &obj, &back).unwrap(),
                "the same object comes back"
            );
            let data = back
                .data(&store)
                .unwrap()
                .unwrap()
                .downcast_ref::<String>()
                .unwrap()
                .clone();
            assert_eq!(&data, name);
            let Val::ExternRef(Some(last)) = instance
                .get_global(&mut store, "last")
                .unwrap()
                .get(&mut store)
            else {
                panic!("global %last holds no reference");
            };
            assert!(Rooted::ref_eq(&store, &obj, &last).unwrap());
            kept.push(obj);
        }
        assert_eq!(is_empty.call(&mut store, 1).unwrap(), 0);
        let counter = instance
            .get_global(&mut store, "counter")
            .unwrap()
            .get(&mut store);
        assert_eq!(counter.i64(), Some(3));
        let table = instance.get_table(&mut store, "objs").unwrap();
        let Some(wasmtime::Ref::Extern(Some(first))) = table.get(&mut store, 0) else {
            panic!("table slot 0 is empty");
        };
        assert!(Rooted::ref_eq(&store, &kept[0], &first).unwrap());
    }
}

const REFS: &str = r#"
global %f: funcref mut
table %t: funcref min 2 max 10

function %answer() -> i32 {
block0:
    v0 = iconst.i32 42
    return v0
}

; ref.func into a value slot and a global, back out, and null tests.
function %funcs() -> funcref, i32, i32 {
    ss0 = value_slot funcref
    gv0 = wasm_global %f
    fn0 = %answer() -> i32
    fn1 = %__wasm_ref_func(i64) -> funcref
    fn2 = %__wasm_ref_is_null_func(funcref) -> i32
    fn3 = %__wasm_ref_null_func() -> funcref
block0:
    v0 = func_addr.i64 fn0
    v1 = call fn1(v0)
    v2 = stack_addr.i64 ss0
    store v1, v2
    v3 = load.i32 v2
    v4 = symbol_value.i64 gv0
    store v3, v4
    v5 = load.i32 v4
    v6 = call fn2(v5)
    v7 = call fn3()
    v8 = call fn2(v7)
    return v5, v6, v8
}

; table.grow / size / fill / get.
function %tables(i32) -> i32, i32, i32 {
    gv0 = wasm_table %t
    fn0 = %__wasm_ref_null_func() -> funcref
    fn1 = %__wasm_table_grow(i64, funcref, i32) -> i32
    fn2 = %__wasm_table_size(i64) -> i32
    fn3 = %__wasm_table_fill(i64, i32, funcref, i32)
    fn4 = %__wasm_table_get(i64, i32) -> funcref
    fn5 = %__wasm_ref_is_null_func(funcref) -> i32
    fn6 = %answer() -> i32
    fn7 = %__wasm_ref_func(i64) -> funcref
block0(v0: i32):
    v1 = symbol_value.i64 gv0
    v2 = call fn0()
    v3 = call fn1(v1, v2, v0)
    v4 = call fn2(v1)
    v5 = func_addr.i64 fn6
    v6 = call fn7(v5)
    v7 = iconst.i32 0
    call fn3(v1, v7, v6, v4)
    v8 = iconst.i32 1
    v9 = call fn4(v1, v8)
    v10 = call fn5(v9)
    return v3, v4, v10
}

; References swapped around a loop through block parameters, then a select.
function %pick(externref, externref, i32) -> externref {
block0(v0: externref, v1: externref, v2: i32):
    jump block1(v0, v1, v2)
block1(v3: externref, v4: externref, v5: i32):
    v6 = iconst.i32 1
    v7 = isub v5, v6
    brif v7, block1(v4, v3, v7), block2
block2:
    v8 = iconst.i32 1
    v9 = band v2, v8
    v10 = select v9, v4, v3
    return v10
}
"#;

#[test]
fn funcrefs_tables_and_references_in_control_flow() {
    let exec = Executor::new().unwrap();
    let (_, _, bytes) = compile_text(REFS, Target::wasm64());
    let module = exec.load(&bytes).unwrap();
    let mut store = Store::new(exec.engine(), ());
    store.set_fuel(u64::MAX).unwrap();
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let funcs = instance.get_func(&mut store, "funcs").unwrap();
    let mut out = [Val::I32(0), Val::I32(0), Val::I32(0)];
    funcs.call(&mut store, &[], &mut out).unwrap();
    let Val::FuncRef(Some(f)) = &out[0] else {
        panic!("{:?}", out[0])
    };
    let answer = f
        .typed::<(), i32>(&store)
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    assert_eq!(answer, 42, "the funcref calls %answer");
    assert_eq!((out[1].i32(), out[2].i32()), (Some(0), Some(1)));

    let tables = instance.get_func(&mut store, "tables").unwrap();
    tables.call(&mut store, &[Val::I32(3)], &mut out).unwrap();
    // Grown from 2 to 5, filled with ref.func %answer.
    assert_eq!(
        [out[0].i32(), out[1].i32(), out[2].i32()],
        [Some(2), Some(5), Some(0)]
    );

    let pick = instance.get_func(&mut store, "pick").unwrap();
    let a = ExternRef::new(&mut store, 1u32).unwrap();
    let b = ExternRef::new(&mut store, 2u32).unwrap();
    for n in [1, 2, 3, 4, 7] {
        let mut r = [Val::I32(0)];
        pick.call(
            &mut store,
            &[
                Val::ExternRef(Some(a)),
                Val::ExternRef(Some(b)),
                Val::I32(n),
            ],
            &mut r,
        )
        .unwrap();
        let Val::ExternRef(Some(got)) = r[0] else {
            panic!()
        };
        // Simulate: n - 1 swaps, then select v4 if n is odd, else v3.
        let (mut x, mut y) = (a, b);
        for _ in 1..n {
            std::mem::swap(&mut x, &mut y);
        }
        let expect = if n % 2 == 1 { y } else { x };
        assert!(Rooted::ref_eq(&store, &got, &expect).unwrap(), "n = {n}");
    }
}

fn suite(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(&manifest_dir())
        .join("../cranelift-offheap/tests/suite")
        .join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// Whether `func` may legitimately touch linear memory: an addressable slot, or a load or
/// store whose address is not an off-heap place.
fn uses_linear_memory(func: &ir::Function, decls: &ModuleDecls) -> bool {
    let a = cranelift_offheap::analysis::Analysis::compute(func, decls);
    let addressable = func
        .sized_stack_slots
        .keys()
        .any(|s| cranelift_offheap::value_slot_type(func, s).is_none());
    let through_memory = func
        .layout
        .blocks()
        .flat_map(|b| func.layout.block_insts(b))
        .any(|i| match func.dfg.insts[i] {
            ir::InstructionData::Load { arg, .. } => a.place(func, arg).is_none(),
            ir::InstructionData::Store { args, .. } => a.place(func, args[1]).is_none(),
            _ => false,
        });
    addressable || through_memory
}

fn touches_memory(op: &wasmparser::Operator) -> bool {
    use wasmparser::Operator::*;
    let name = format!("{op:?}");
    matches!(
        op,
        MemorySize { .. } | MemoryGrow { .. } | MemoryCopy { .. } | MemoryFill { .. }
    ) || name.contains("Load")
        || name.contains("Store")
}

/// Property: functions that use only value slots and wasm globals contain no memory
/// instruction and no access to the shadow-stack pointer (read back with wasmparser).
#[test]
fn value_slots_and_globals_produce_no_linear_memory_instructions() {
    let mut checked = 0;
    for path in suite("accept") {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("%__wasm_memory_") {
            // The bulk-memory intrinsics are linear memory by design (and their segments
            // need a layout: see tests/e2e/layout.rs).
            continue;
        }
        let (decls, funcs, bytes) = compile_text(&text, Target::wasm64());
        let mut bodies = Vec::new();
        let mut has_memory = false;
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            match payload.unwrap() {
                wasmparser::Payload::CodeSectionEntry(body) => bodies.push(body),
                wasmparser::Payload::MemorySection(_) => has_memory = true,
                _ => {}
            }
        }
        let any_memory = funcs.iter().any(|f| uses_linear_memory(f, &decls));
        assert!(
            any_memory || !has_memory,
            "{}: a memory without need",
            path.display()
        );
        for (func, body) in funcs.iter().zip(&bodies) {
            if uses_linear_memory(func, &decls) {
                continue;
            }
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let op = ops.read().unwrap();
                assert!(
                    !touches_memory(&op),
                    "{}: {} uses {op:?}",
                    path.display(),
                    func.name
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} functions checked");
}

/// Every adversarial program is refused by `compile_module` too, with its rule.
#[test]
fn the_lowering_refuses_every_adversarial_program() {
    for path in suite("reject") {
        let text = std::fs::read_to_string(&path).unwrap();
        let (decls, funcs) = parse(&text).unwrap();
        let err = compile_module(
            &funcs,
            &decls,
            &Options {
                target: Target::wasm64(),
                ..Options::default()
            },
        )
        .unwrap_err();
        let expected = text
            .lines()
            .find_map(|l| l.strip_prefix("; expect: "))
            .unwrap();
        assert_eq!(
            err.rule.map(|r| r.name()),
            Some(expected),
            "{}: {err}",
            path.display()
        );
    }
}

/// A random program over value slots of i32 and i64: loads, stores and arithmetic in a
/// loop. Value slots are ordinary stack slots to Cranelift's interpreter, so it is the
/// oracle.
fn random_slot_program(rng: &mut crate::harness::Rng) -> String {
    use std::fmt::Write;
    let slots = 1 + rng.below(5) as usize;
    let types: Vec<&str> = (0..slots)
        .map(|_| if rng.below(2) == 0 { "i32" } else { "i64" })
        .collect();
    let mut s = String::from("function %p(i64, i64) -> i64 {\n");
    for (i, t) in types.iter().enumerate() {
        writeln!(s, "    ss{i} = value_slot {t}").unwrap();
    }
    s.push_str("block0(v0: i64, v1: i64):\n");
    let mut n = 10;
    let mut fresh = || {
        n += 1;
        n
    };
    let addr: Vec<usize> = (0..slots).map(|_| fresh()).collect();
    for (i, t) in types.iter().enumerate() {
        writeln!(s, "    v{} = stack_addr.i64 ss{i}", addr[i]).unwrap();
        if *t == "i32" {
            let r = fresh();
            writeln!(s, "    v{r} = ireduce.i32 v0\n    store v{r}, v{}", addr[i]).unwrap();
        } else {
            writeln!(s, "    store v1, v{}", addr[i]).unwrap();
        }
    }
    let c0 = fresh();
    writeln!(
        s,
        "    v{c0} = iconst.i64 {}\n    jump block1(v{c0})",
        1 + rng.below(6)
    )
    .unwrap();
    let c = fresh();
    writeln!(s, "block1(v{c}: i64):").unwrap();
    let mut pool = vec![c, 0, 1];
    for _ in 0..(3 + rng.below(12)) {
        let slot = rng.below(slots as u64) as usize;
        match rng.below(3) {
            0 => {
                let v = fresh();
                writeln!(s, "    v{v} = load.{} v{}", types[slot], addr[slot]).unwrap();
                if types[slot] == "i32" {
                    let w = fresh();
                    writeln!(s, "    v{w} = uextend.i64 v{v}").unwrap();
                    pool.push(w);
                } else {
                    pool.push(v);
                }
            }
            1 => {
                let (a, b) = (
                    pool[rng.below(pool.len() as u64) as usize],
                    pool[rng.below(pool.len() as u64) as usize],
                );
                let op = ["iadd", "isub", "imul", "bxor", "rotl"][rng.below(5) as usize];
                let v = fresh();
                writeln!(s, "    v{v} = {op} v{a}, v{b}").unwrap();
                pool.push(v);
            }
            _ => {
                let a = pool[rng.below(pool.len() as u64) as usize];
                if types[slot] == "i32" {
                    let r = fresh();
                    writeln!(
                        s,
                        "    v{r} = ireduce.i32 v{a}\n    store v{r}, v{}",
                        addr[slot]
                    )
                    .unwrap();
                } else {
                    writeln!(s, "    store v{a}, v{}", addr[slot]).unwrap();
                }
            }
        }
    }
    let (one, next) = (fresh(), fresh());
    writeln!(s, "    v{one} = iconst.i64 1\n    v{next} = isub v{c}, v{one}\n    brif v{next}, block1(v{next}), block2").unwrap();
    s.push_str("block2:\n");
    let mut acc = fresh();
    writeln!(s, "    v{acc} = iconst.i64 0").unwrap();
    for (i, t) in types.iter().enumerate() {
        let v = fresh();
        writeln!(s, "    v{v} = load.{t} v{}", addr[i]).unwrap();
        let w = if *t == "i32" {
            let w = fresh();
            writeln!(s, "    v{w} = uextend.i64 v{v}").unwrap();
            w
        } else {
            v
        };
        let m = fresh();
        let k = fresh();
        writeln!(s, "    v{k} = iconst.i64 31\n    v{m} = imul v{acc}, v{k}").unwrap();
        let sum = fresh();
        writeln!(s, "    v{sum} = iadd v{m}, v{w}").unwrap();
        acc = sum;
    }
    writeln!(s, "    return v{acc}\n}}").unwrap();
    s
}

#[test]
fn random_value_slot_programs_match_the_interpreter_without_memory() {
    use cranelift_codegen::data_value::DataValue;
    let mut rng = crate::harness::Rng::new(0x0ff_4ea9);
    for _ in 0..200 {
        let text = random_slot_program(&mut rng);
        let m = crate::harness::build(&text);
        let (_, _, bytes) = compile_text(&text, Target::wasm64());
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            match payload.unwrap() {
                wasmparser::Payload::MemorySection(_) => {
                    panic!("a memory for value slots:\n{text}")
                }
                wasmparser::Payload::CodeSectionEntry(body) => {
                    let mut ops = body.get_operators_reader().unwrap();
                    while !ops.eof() {
                        let op = ops.read().unwrap();
                        assert!(!touches_memory(&op), "{op:?} in\n{text}");
                    }
                }
                _ => {}
            }
        }
        for (a, b) in [(0, 0), (7, -3), (i64::MAX, 0x1234_5678_9abc)] {
            if std::env::var_os("DUMP_SLOT_PROGRAMS").is_some() {
                std::fs::write("/tmp/slotprog.clif", &text).unwrap();
            }
            m.agree("p", &[DataValue::I64(a), DataValue::I64(b)]);
        }
    }
}

/// Imported globals are read and written through the host's `Global`s.
#[test]
fn imported_globals_are_the_hosts() {
    let text = r#"
global %limit: i64 import "env" "limit"
global %obj: externref mut import "env" "obj"

function %twice() -> i64 {
    gv0 = wasm_global %limit
block0:
    v0 = symbol_value.i64 gv0
    v1 = load.i64 v0
    v2 = iadd v1, v1
    return v2
}

function %swap(externref) -> externref {
    gv0 = wasm_global %obj
block0(v0: externref):
    v1 = symbol_value.i64 gv0
    v2 = load.i32 v1
    store v0, v1
    return v2
}
"#;
    let exec = Executor::new().unwrap();
    let (_, _, bytes) = compile_text(text, Target::wasm64());
    let module = exec.load(&bytes).unwrap();
    let mut store = Store::new(exec.engine(), ());
    store.set_fuel(u64::MAX).unwrap();
    let limit = wasmtime::Global::new(
        &mut store,
        wasmtime::GlobalType::new(wasmtime::ValType::I64, wasmtime::Mutability::Const),
        Val::I64(21),
    )
    .unwrap();
    let first = ExternRef::new(&mut store, "first").unwrap();
    let obj = wasmtime::Global::new(
        &mut store,
        wasmtime::GlobalType::new(wasmtime::ValType::EXTERNREF, wasmtime::Mutability::Var),
        Val::ExternRef(Some(first)),
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[limit.into(), obj.into()]).unwrap();
    let twice = instance
        .get_typed_func::<(), i64>(&mut store, "twice")
        .unwrap();
    assert_eq!(twice.call(&mut store, ()).unwrap(), 42);
    let swap = instance.get_func(&mut store, "swap").unwrap();
    let second = ExternRef::new(&mut store, "second").unwrap();
    let mut out = [Val::I32(0)];
    swap.call(&mut store, &[Val::ExternRef(Some(second))], &mut out)
        .unwrap();
    let Val::ExternRef(Some(old)) = out[0] else {
        panic!()
    };
    assert!(Rooted::ref_eq(&store, &old, &first).unwrap());
    let Val::ExternRef(Some(now)) = obj.get(&mut store) else {
        panic!()
    };
    assert!(
        Rooted::ref_eq(&store, &now, &second).unwrap(),
        "the host's global was written"
    );
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
