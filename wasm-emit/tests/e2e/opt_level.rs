//! Opt levels: at `none` every value kept in a local has its own, declared in one run per
//! type; a function that would need more locals than engines accept shares locals as
//! values die in emission order (`func::sharing`), and falls back to coloring if that is
//! not enough. (Every other e2e test runs both levels through the harness.)

use crate::harness::{build, parse};
use cranelift_codegen::data_value::DataValue;
use std::fmt::Write;
use wasm_emit::{compile_module, OptLevel, Options};

/// The local declaration groups (count, type) of the first function body of `wasm`.
fn local_groups(wasm: &[u8]) -> Vec<(u32, wasmparser::ValType)> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let reader = body.get_locals_reader().unwrap();
            return reader.into_iter().map(|g| g.unwrap()).collect();
        }
    }
    panic!("no function body");
}

fn compile_at(text: &str, opt_level: OptLevel) -> Vec<u8> {
    let options = Options {
        opt_level,
        ..Options::default()
    };
    let bytes = compile_module(&parse(text), &Default::default(), &options).unwrap();
    wasmparser::Validator::new().validate_all(&bytes).unwrap();
    bytes
}

/// `v(k+1) = op v(k), v(k)` for `n` steps from a parameter: every value is read twice, so
/// none can stay on the operand stack and each needs a local.
fn doubling_chain(n: usize, ty: &str, op: &str) -> String {
    let mut text = format!("function %chain({ty}) -> {ty} {{\nblock0(v0: {ty}):\n");
    for k in 0..n {
        writeln!(text, "    v{} = {op} v{k}, v{k}", k + 1).unwrap();
    }
    writeln!(text, "    return v{n}\n}}").unwrap();
    text
}

/// [`doubling_chain`] of `i32` additions without its return: the function's entry block
/// left open for more instructions after `v(n)`.
fn open_doubling_chain(n: usize) -> String {
    let mut text = doubling_chain(n, "i32", "iadd");
    let ret = format!("    return v{n}\n}}\n");
    assert!(text.ends_with(&ret));
    text.truncate(text.len() - ret.len());
    text
}

#[test]
fn none_gives_each_value_its_own_local_in_one_run_per_type() {
    // Integers and floats interleaved: i64 values converted to f64 and back.
    let text = "function %mix(i64) -> i64 {
        block0(v0: i64):
            v1 = iadd v0, v0
            v2 = fcvt_from_sint.f64 v1
            v3 = fadd v2, v2
            v4 = imul v1, v1
            v5 = fcvt_to_sint_sat.i64 v3
            v6 = fmul v3, v3
            v7 = iadd v5, v5
            v8 = fadd v6, v6
            v9 = fcvt_to_sint_sat.i64 v8
            v10 = iadd v7, v9
            v11 = iadd v10, v4
            return v11
        }";
    let none = local_groups(&compile_at(text, OptLevel::None));
    let types: Vec<_> = none.iter().map(|&(_, t)| t).collect();
    let mut distinct = types.clone();
    distinct.dedup();
    assert_eq!(types, distinct, "one declaration run per type: {none:?}");
    assert_eq!(distinct.len(), 2, "{none:?}");
    // A chain whose values each die at the next: speed needs a local or two, none one
    // per value (999: the last is read once, on the operand stack).
    let chain = doubling_chain(1000, "i64", "iadd");
    let count = |level| {
        let groups = local_groups(&compile_at(&chain, level));
        groups.iter().map(|g| g.0).sum::<u32>()
    };
    assert_eq!(count(OptLevel::None), 999);
    assert!(count(OptLevel::Speed) <= 2, "{}", count(OptLevel::Speed));
    let m = build(text);
    for x in [0i64, 1, -7, 1 << 40, i64::MIN] {
        m.agree("mix", &[DataValue::I64(x)]);
    }
}

#[test]
fn none_shares_locals_above_the_engines_local_limit() {
    // 60,000 values that each need a local: more than the 50,000 engines accept. Each is
    // read only in its block, so they share locals as they die.
    let n = 60_000;
    let text = doubling_chain(n, "i32", "iadd");
    let groups = local_groups(&compile_at(&text, OptLevel::None));
    let locals: u32 = groups.iter().map(|g| g.0).sum();
    assert!(locals < 10, "shared instead: {groups:?}");
    // x doubled 60,000 times wraps to 0 for every x; 3 doubled 31 times is 1 << 31.
    let m = build(&text);
    m.expect("chain", &[DataValue::I32(5)], &[DataValue::I32(0)]);
    let m = build(&doubling_chain(31, "i32", "iadd"));
    m.expect("chain", &[DataValue::I32(1)], &[DataValue::I32(i32::MIN)]);
}

/// `blocks` blocks, each computing from its parameter three values read only in the
/// block and kept in locals (`a`, read by two instructions, `d` and `e`), a tree (`f`)
/// and the next block's argument (`g`). `e` is defined between `a`'s reads: had `a`'s
/// local been given back at its first reader, `e` would take it. Every `stride`-th block
/// also reads the entry's `v1` (live across all blocks). With `same_edges`, each block
/// ends in a `brif` on `g` whose two edges are the same (lowered as a jump, so the
/// condition is never read).
fn block_chain(blocks: usize, stride: usize, same_edges: bool) -> String {
    let mut text = String::from("function %blocks(i32) -> i32 {\nblock0(v0: i32):\n");
    writeln!(
        text,
        "    v1 = iadd v0, v0\n    v2 = imul v1, v1\n    jump block1(v2)"
    )
    .unwrap();
    for k in 1..=blocks {
        let [p, a, d, e, f, g] = std::array::from_fn(|i| 6 * k + i);
        writeln!(text, "block{k}(v{p}: i32):").unwrap();
        let other = if k % stride == 0 { 1 } else { p };
        writeln!(text, "    v{a} = iadd v{p}, v{other}").unwrap();
        writeln!(text, "    v{d} = imul v{a}, v{a}").unwrap();
        writeln!(text, "    v{e} = iadd v{d}, v{d}").unwrap();
        writeln!(text, "    v{f} = isub v{e}, v{a}").unwrap();
        writeln!(text, "    v{g} = imul v{f}, v{e}").unwrap();
        let next = k + 1;
        if k == blocks {
            writeln!(text, "    return v{g}").unwrap();
        } else if same_edges {
            writeln!(text, "    brif v{g}, block{next}(v{g}), block{next}(v{g})").unwrap();
        } else {
            writeln!(text, "    jump block{next}(v{g})").unwrap();
        }
    }
    text.push_str("}\n");
    text
}

#[test]
fn none_shares_locals_across_blocks_above_the_limit() {
    // 20,000 blocks: a parameter each (set by a branch) and three values read only in
    // their block: 80,000 values in locals, over the limit with a local each. They share
    // locals as they die, in the order the code is emitted; `v1` lives across them all.
    let blocks = 20_000;
    let text = block_chain(blocks, 1000, false);
    let groups = local_groups(&compile_at(&text, OptLevel::None));
    let locals: u32 = groups.iter().map(|g| g.0).sum();
    assert!(locals < 10, "{locals} locals: {groups:?}");
    let m = build(&text);
    for x in [0, 1, -3, 12345, i32::MIN] {
        m.agree("blocks", &[DataValue::I32(x)]);
    }
}

#[test]
fn none_colors_above_the_limit_when_sharing_is_not_enough() {
    // 55,000 blocks, each ending in a `brif` whose two edges are the same: it is lowered
    // as a jump, so the read of its condition is never lowered, and sharing never gives
    // those 55,000 locals back: more than engines accept. Coloring, from liveness, brings
    // them under the limit.
    let text = block_chain(55_000, 1000, true);
    let groups = local_groups(&compile_at(&text, OptLevel::None));
    let locals: u32 = groups.iter().map(|g| g.0).sum();
    assert!(locals < 10, "colored instead: {groups:?}");
    let m = build(&text);
    for x in [0, 7, i32::MAX] {
        m.agree("blocks", &[DataValue::I32(x)]);
    }
}

/// `%chain(i32, i32) -> i32` over the engines' limit of locals: the 60,000 values of
/// [`open_doubling_chain`], then `x`, equal to `v0` (the chain's last value is 0 whatever
/// `v0` is), with the entry block left open. Returns the text, `x`'s number (later values
/// can take the numbers after it) and the second parameter's.
fn over_the_limit_with_x() -> (String, usize, usize) {
    let n = 60_000;
    let (x, p) = (n + 1, n + 100);
    let text = open_doubling_chain(n).replace("%chain(i32) -> i32", "%chain(i32, i32) -> i32");
    let mut text = text.replace("block0(v0: i32):", &format!("block0(v0: i32, v{p}: i32):"));
    writeln!(text, "    v{x} = iadd v{n}, v0").unwrap();
    (text, x, p)
}

/// Assert that `text` lowers at opt level none in a few shared locals.
fn assert_shares_locals(text: &str) {
    let groups = local_groups(&compile_at(text, OptLevel::None));
    let locals: u32 = groups.iter().map(|g| g.0).sum();
    assert!(locals < 10, "shared instead: {groups:?}");
}

#[test]
fn none_keeps_a_value_read_in_a_loop_until_the_loop_branches_back_for_the_last_time() {
    // Over the limit (a chain of 60,000 values in locals), then a loop that reads `x`,
    // defined before it, and defines values after that read. In emission order that read
    // is `x`'s last, but the next iteration reads it again: its local must not go to the
    // values defined after it before the loop's last branch back.
    let (mut text, x, times) = over_the_limit_with_x();
    let [zero, c, acc, t, u, w, one, c2, cmp, r] = std::array::from_fn(|i| x + 1 + i);
    writeln!(text, "    v{zero} = iconst.i32 0").unwrap();
    writeln!(text, "    jump block1(v{zero}, v{zero})").unwrap();
    writeln!(text, "block1(v{c}: i32, v{acc}: i32):").unwrap();
    writeln!(text, "    v{t} = iadd v{acc}, v{x}").unwrap();
    writeln!(text, "    v{u} = imul v{t}, v{t}").unwrap();
    writeln!(text, "    v{w} = iadd v{u}, v{t}").unwrap();
    writeln!(
        text,
        "    v{one} = iconst.i32 1\n    v{c2} = iadd v{c}, v{one}"
    )
    .unwrap();
    writeln!(text, "    v{cmp} = icmp ult v{c2}, v{times}").unwrap();
    writeln!(text, "    brif v{cmp}, block1(v{c2}, v{w}), block2(v{w})").unwrap();
    writeln!(text, "block2(v{r}: i32):\n    return v{r}\n}}").unwrap();
    assert_shares_locals(&text);
    let m = build(&text);
    for (x, iterations) in [(1, 1), (3, 2), (5, 4), (-7, 9)] {
        m.agree("chain", &[DataValue::I32(x), DataValue::I32(iterations)]);
    }
}

#[test]
fn none_counts_the_reads_of_a_comparison_folded_into_its_branch_once() {
    // Over the limit (a chain of 60,000 values in locals), then `brif (icmp ne x, 0)`:
    // the comparison is folded into the branch, which reads `x` for it. The arm taken
    // when `x` is not 0 returns it and is emitted first; the other reads `x` twice more.
    // Had the folded read been counted twice, `x`'s local would go to `z` (read twice, so
    // in a local) before `x`'s last read, in `u`.
    let (mut text, x, p) = over_the_limit_with_x();
    let [zero, cond, y, z, u, w] = std::array::from_fn(|i| x + 1 + i);
    writeln!(text, "    v{zero} = iconst.i32 0").unwrap();
    writeln!(text, "    v{cond} = icmp ne v{x}, v{zero}").unwrap();
    writeln!(text, "    brif v{cond}, block2, block1").unwrap();
    writeln!(text, "block1:").unwrap();
    writeln!(text, "    v{y} = iadd v{x}, v{p}").unwrap();
    writeln!(text, "    v{z} = imul v{y}, v{y}").unwrap();
    writeln!(text, "    v{u} = iadd v{z}, v{x}").unwrap();
    writeln!(text, "    v{w} = iadd v{u}, v{z}").unwrap();
    writeln!(text, "    return v{w}").unwrap();
    writeln!(text, "block2:\n    return v{x}\n}}").unwrap();
    assert_shares_locals(&text);
    let m = build(&text);
    for (x, p) in [(0, 3), (0, -5), (0, 0), (1, 3), (-7, 2)] {
        m.agree("chain", &[DataValue::I32(x), DataValue::I32(p)]);
    }
}

#[test]
fn none_counts_only_the_values_kept_in_locals_against_the_limit() {
    // 20,000 steps of three results each (60,000, more than engines accept as locals),
    // of which only the sum, read twice, needs a local: the constant and the product
    // are each read once, on the stack. At opt level none the sums keep a local each.
    let steps = 20_000;
    let mut text = String::from("function %steps(i32) -> i32 {\nblock0(v0: i32):\n");
    let mut chain = 0;
    for k in 0..steps {
        let (c, s, p) = (3 * k + 1, 3 * k + 2, 3 * k + 3);
        writeln!(text, "    v{c} = iconst.i32 100003").unwrap();
        writeln!(text, "    v{s} = iadd v{chain}, v{c}").unwrap();
        writeln!(text, "    v{p} = imul v{s}, v{s}").unwrap();
        chain = p;
    }
    writeln!(text, "    return v{chain}\n}}").unwrap();
    let groups = local_groups(&compile_at(&text, OptLevel::None));
    let locals: u32 = groups.iter().map(|g| g.0).sum();
    assert_eq!(locals, steps, "one local per sum, none shared: {groups:?}");
    let m = build(&text);
    for x in [0, 1, -5, i32::MAX] {
        m.agree("steps", &[DataValue::I32(x)]);
    }
}

#[test]
fn none_shares_the_locals_of_a_function_its_own_scratch_locals_push_over_the_limit() {
    // 50,000 values in locals, the parameter included: the chain's values, read twice
    // each (its last is read once, on the stack), and the narrowed value the rotate reads
    // twice (the rotate's result is read once). That fits the engines' limit, but a
    // rotate of an i8 takes a scratch local: 50,001. Opt level none then shares the
    // locals of the chain's values as they die.
    let n = 49_999;
    let mut text = open_doubling_chain(n);
    let (narrow, rotated) = (n + 1, n + 2);
    writeln!(text, "    v{narrow} = ireduce.i8 v{n}").unwrap();
    writeln!(text, "    v{rotated} = rotl v{narrow}, v{narrow}").unwrap();
    writeln!(text, "    v{} = uextend.i32 v{rotated}", n + 3).unwrap();
    writeln!(text, "    return v{}\n}}", n + 3).unwrap();
    let groups = local_groups(&compile_at(&text, OptLevel::None));
    let locals: u32 = groups.iter().map(|g| g.0).sum();
    assert!(locals < 10, "shared instead: {groups:?}");
    let m = build(&text);
    m.agree("chain", &[DataValue::I32(3)]);
}

#[test]
fn none_sizes_each_run_for_the_values_sent_back_to_locals() {
    // v2 is read once, by `iabs`, so the scan puts it on the stack; `iabs` reads its
    // operand three times, so the lowering sends v2 back to a local and lowers again.
    // Its local must come from the i32 results' run (sized again for it), not a fresh
    // local after the f64 run: one declaration per type. Block parameters come first in
    // each type's run.
    let text = "function %abs2(i32, f64) -> i32, f64 {
        block0(v0: i32, v1: f64):
            v2 = iadd v0, v0
            v3 = iabs v2
            v4 = fadd v1, v1
            jump block1(v3, v4)
        block1(v5: i32, v6: f64):
            return v5, v6
        }";
    let wasm = compile_at(text, OptLevel::None);
    let groups = local_groups(&wasm);
    assert_eq!(
        groups,
        [(2, wasmparser::ValType::I32), (1, wasmparser::ValType::F64)],
        "one run per type"
    );
    let names = local_names(&wasm);
    assert_eq!(
        names[2..],
        [
            (2, "v5".to_string()),
            (3, "v2".to_string()),
            (4, "v6".to_string())
        ],
        "{names:?}"
    );
    let m = build(text);
    for x in [0, 7, -9, i32::MIN] {
        m.agree("abs2", &[DataValue::I32(x), DataValue::F64(1.5.into())]);
    }
}

/// The local names of the first function of `wasm`, in section order.
fn local_names(wasm: &[u8]) -> Vec<(u32, String)> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CustomSection(c) = payload.unwrap() {
            if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                for name in reader {
                    if let wasmparser::Name::Local(map) = name.unwrap() {
                        let first = map.into_iter().next().unwrap().unwrap();
                        return first
                            .names
                            .map(|n| {
                                let n = n.unwrap();
                                (n.index, n.name.to_string())
                            })
                            .collect();
                    }
                }
            }
        }
    }
    panic!("no local names");
}

#[test]
fn a_shared_local_has_one_name() {
    // At speed the chain's values share a local or two; each local is named once, after
    // its first value, in increasing index order. At none every value names its own.
    let chain = doubling_chain(20, "i64", "iadd");
    let speed = local_names(&compile_at(&chain, OptLevel::Speed));
    assert!(
        speed.windows(2).all(|w| w[0].0 < w[1].0),
        "each local once, in order: {speed:?}"
    );
    assert_eq!(speed[0], (0, "v0".to_string()), "{speed:?}");
    assert!(speed.len() <= 3, "{speed:?}");
    let none = local_names(&compile_at(&chain, OptLevel::None));
    assert_eq!(none.len(), 20, "the parameter and 19 values: {none:?}");
    assert_eq!(none[1], (1, "v1".to_string()), "{none:?}");
    // 2^20 * 3 as an i64.
    let m = build(&chain);
    m.expect("chain", &[DataValue::I64(3)], &[DataValue::I64(3 << 20)]);
}

#[test]
fn opt_level_parses_from_its_cranelift_name() {
    assert_eq!("none".parse::<OptLevel>(), Ok(OptLevel::None));
    assert_eq!("speed".parse::<OptLevel>(), Ok(OptLevel::Speed));
    let err = "fast".parse::<OptLevel>().unwrap_err();
    assert!(err.contains("`none` or `speed`"), "{err}");
}

/// The code section's bytes of `wasm`.
fn code_section(wasm: &[u8]) -> Vec<u8> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionStart {
            unchecked_range, ..
        } = payload.unwrap()
        {
            return wasm[unchecked_range.start as usize..unchecked_range.end as usize].to_vec();
        }
    }
    panic!("no code section");
}

#[test]
fn local_names_can_be_left_out() {
    // Without local names the code is the same, the module valid, and the name section
    // still names the function but none of its locals.
    let chain = doubling_chain(20, "i64", "iadd");
    for opt_level in [OptLevel::None, OptLevel::Speed] {
        let named = compile_at(&chain, opt_level);
        let options = Options {
            opt_level,
            local_names: false,
            ..Options::default()
        };
        let bare = compile_module(&parse(&chain), &Default::default(), &options).unwrap();
        wasmparser::Validator::new().validate_all(&bare).unwrap();
        assert_eq!(code_section(&named), code_section(&bare));
        let printed = wasmprinter::print_bytes(&bare).unwrap();
        assert!(printed.contains("(func $chain"), "{printed}");
        assert!(!printed.contains("$v1"), "{printed}");
        assert!(bare.len() < named.len());
        // 2^20 * 3, run in wasmtime.
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, &bare).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let chain = instance
            .get_typed_func::<i64, i64>(&mut store, "chain")
            .unwrap();
        assert_eq!(chain.call(&mut store, 3).unwrap(), 3 << 20);
    }
}
