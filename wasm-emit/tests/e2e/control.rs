//! Control flow: structured lowering of reducible CFGs, irreducible CFGs through
//! dispatchers, br_table, loop nests with many exits, and block-parameter swaps,
//! differentially against the interpreter.

use crate::harness::{build, Rng};
use cranelift_codegen::data_value::DataValue;
use std::fmt::Write;

fn i32s(values: &[i32]) -> Vec<DataValue> {
    values.iter().map(|&v| DataValue::I32(v)).collect()
}

/// The classic irreducible loop: two blocks that branch to each other, each entered from
/// the entry block.
#[test]
fn two_entry_loop() {
    let m = build(
        "function %irr(i32, i32) -> i32 {
         block0(v0: i32, v1: i32):
             v2 = iconst.i32 0
             brif v0, block1(v1, v2), block2(v1, v2)
         block1(v3: i32, v4: i32):
             v5 = iconst.i32 3
             v6 = iadd v4, v5
             v7 = iconst.i32 1
             v8 = isub v3, v7
             brif v8, block2(v8, v6), block3(v6)
         block2(v9: i32, v10: i32):
             v11 = iconst.i32 5
             v12 = imul v10, v11
             v13 = iconst.i32 1
             v14 = iadd v12, v13
             v15 = isub v9, v13
             brif v15, block1(v15, v14), block3(v14)
         block3(v16: i32):
             return v16
         }",
    );
    for c in [0, 1] {
        for n in [1, 2, 3, 10, 57] {
            m.agree("irr", &i32s(&[c, n]));
        }
    }
}

/// A CLIF function with `blocks` blocks and random edges (jumps, brifs and br_tables, many
/// of them backward, so most such graphs are irreducible). Every block decrements a fuel
/// parameter and mixes its number into an accumulator, so every path terminates and the
/// result depends on the exact path. Arguments are passed rotated, to exercise parallel
/// copies.
fn random_cfg(rng: &mut Rng, blocks: usize) -> String {
    let mut s = String::from("function %cfg(i32, i32) -> i32 {\n");
    let mut v = 10;
    let mut fresh = || {
        v += 1;
        v
    };
    writeln!(
        s,
        "block0(v0: i32, v1: i32):\n    v2 = iconst.i32 7\n    jump block1(v0, v1, v2)"
    )
    .unwrap();
    for b in 1..=blocks {
        let (fuel, acc, extra) = (fresh(), fresh(), fresh());
        writeln!(s, "block{b}(v{fuel}: i32, v{acc}: i32, v{extra}: i32):").unwrap();
        let (k, mixed, one, nfuel, salt) = (fresh(), fresh(), fresh(), fresh(), fresh());
        writeln!(s, "    v{k} = iconst.i32 31").unwrap();
        writeln!(s, "    v{mixed} = imul v{acc}, v{k}").unwrap();
        writeln!(s, "    v{salt} = iconst.i32 {}", b * 97 + 13).unwrap();
        let (mixed2, mixed3) = (fresh(), fresh());
        writeln!(s, "    v{mixed2} = iadd v{mixed}, v{salt}").unwrap();
        writeln!(s, "    v{mixed3} = bxor v{mixed2}, v{extra}").unwrap();
        writeln!(s, "    v{one} = iconst.i32 1").unwrap();
        writeln!(s, "    v{nfuel} = isub v{fuel}, v{one}").unwrap();
        let done = fresh();
        writeln!(s, "    v{done} = icmp sle v{nfuel}, v{one}").unwrap();
        // Leave through the exit block when fuel runs out.
        let cont = blocks + b;
        writeln!(
            s,
            "    brif v{done}, block{}(v{mixed3}), block{cont}",
            blocks * 2 + 1
        )
        .unwrap();
        // The continuation block picks the successors.
        writeln!(s, "block{cont}:").unwrap();
        let target = |rng: &mut Rng| 1 + rng.below(blocks as u64) as usize;
        let args = format!("v{nfuel}, v{extra}, v{mixed3}");
        match rng.below(3) {
            0 => writeln!(s, "    jump block{}({args})", target(rng)).unwrap(),
            1 => {
                let (bit, sh) = (fresh(), fresh());
                writeln!(s, "    v{sh} = iconst.i32 {}", rng.below(8)).unwrap();
                writeln!(s, "    v{bit} = ushr v{mixed3}, v{sh}").unwrap();
                let (t1, t2) = (target(rng), target(rng));
                writeln!(
                    s,
                    "    brif v{bit}, block{t1}({args}), block{t2}(v{nfuel}, v{mixed3}, v{extra})"
                )
                .unwrap();
            }
            _ => {
                let (idx, sh) = (fresh(), fresh());
                writeln!(s, "    v{sh} = iconst.i32 {}", rng.below(5)).unwrap();
                writeln!(s, "    v{idx} = ushr v{mixed3}, v{sh}").unwrap();
                let n = 1 + rng.below(6);
                let entries: Vec<String> = (0..n)
                    .map(|_| format!("block{}({args})", target(rng)))
                    .collect();
                writeln!(
                    s,
                    "    br_table v{idx}, block{}({args}), [{}]",
                    target(rng),
                    entries.join(", ")
                )
                .unwrap();
            }
        }
    }
    let r = fresh();
    writeln!(
        s,
        "block{}(v{r}: i32):\n    return v{r}\n}}",
        blocks * 2 + 1
    )
    .unwrap();
    s
}

fn is_reducible(func: &cranelift_codegen::ir::Function) -> bool {
    let graph = wasm_emit::cfg::graph::build(func);
    wasm_emit::cfg::Order::compute(&graph).is_reducible()
}

#[test]
fn random_cfgs_reducible_or_not() {
    let mut rng = Rng::new(61);
    let mut irreducible = 0;
    for round in 0..150 {
        let blocks = 2 + (round % 12);
        let text = random_cfg(&mut rng, blocks);
        let m = build(&text);
        if !is_reducible(&m.funcs[0]) {
            irreducible += 1;
        }
        for (fuel, seed) in [(1, 0), (5, 3), (40, 12345), (200, -7)] {
            m.agree("cfg", &i32s(&[fuel, seed]));
        }
    }
    // The generator must actually exercise the dispatcher path.
    assert!(
        irreducible >= 30,
        "only {irreducible} of 150 graphs were irreducible"
    );
}

/// A large random CFG: lowering must stay fast and correct (no exponential splitting).
#[test]
fn large_random_cfg() {
    let mut rng = Rng::new(67);
    let text = random_cfg(&mut rng, 400);
    let m = build(&text);
    assert!(!is_reducible(&m.funcs[0]));
    for (fuel, seed) in [(1000, 1), (5000, 99)] {
        m.agree("cfg", &i32s(&[fuel, seed]));
    }
}

/// Loops nested `depth` deep; every level counts to a bound and the innermost body may leave
/// any of the enclosing loops early.
fn loop_nest(depth: usize) -> String {
    let mut s = String::from("function %nest(i32) -> i32 {\nblock0(v0: i32):\n    v1 = iconst.i32 0\n    v2 = iconst.i32 1\n    v3 = iconst.i32 3\n");
    writeln!(s, "    jump block1(v1, v0)").unwrap();
    // Block 2k+1 is the header of loop k (counter c_k, accumulator); block 2k+2 its latch.
    for k in 0..depth {
        let h = 2 * k + 1;
        let (c, acc) = (100 + 10 * k, 101 + 10 * k);
        writeln!(s, "block{h}(v{c}: i32, v{acc}: i32):").unwrap();
        let (mix, cmp) = (102 + 10 * k, 103 + 10 * k);
        writeln!(s, "    v{mix} = iadd v{acc}, v{c}").unwrap();
        writeln!(s, "    v{cmp} = icmp ult v{c}, v3").unwrap();
        let next = if k + 1 < depth {
            format!("block{}(v1, v{mix})", h + 2)
        } else {
            format!("block{}(v{mix})", 2 * depth + 1)
        };
        // Leave this loop to the outer loop's latch (or the exit) when the counter runs out.
        let out = if k == 0 {
            format!("block{}(v{mix})", 2 * depth + 2)
        } else {
            format!("block{}(v{mix})", 2 * (k - 1) + 2)
        };
        writeln!(s, "    brif v{cmp}, {next}, {out}").unwrap();
        writeln!(s, "block{}(v{}: i32):", h + 1, 104 + 10 * k).unwrap();
        let (c2, m2) = (105 + 10 * k, 106 + 10 * k);
        writeln!(s, "    v{c2} = iadd v{c}, v2").unwrap();
        writeln!(s, "    v{m2} = imul v{}, v3", 104 + 10 * k).unwrap();
        writeln!(s, "    jump block{h}(v{c2}, v{m2})").unwrap();
    }
    // Innermost body: leave to a level chosen by the accumulator.
    let body = 2 * depth + 1;
    writeln!(
        s,
        "block{body}(v50: i32):\n    v51 = iconst.i32 {depth}\n    v52 = urem v50, v51"
    )
    .unwrap();
    let targets: Vec<String> = (0..depth)
        .map(|k| format!("block{}(v50)", 2 * k + 2))
        .collect();
    writeln!(
        s,
        "    br_table v52, block{}(v50), [{}]",
        2 * depth,
        targets.join(", ")
    )
    .unwrap();
    writeln!(s, "block{}(v60: i32):\n    return v60\n}}", 2 * depth + 2).unwrap();
    s
}

#[test]
fn deep_loop_nests_with_many_exits() {
    for depth in [1, 2, 5, 12] {
        let m = build(&loop_nest(depth));
        for seed in [0, 1, 17, 1000] {
            m.agree("nest", &i32s(&[seed]));
        }
    }
}

#[test]
fn wide_br_table_with_arguments() {
    let n = 1000;
    let mut s = String::from(
        "function %wide(i32, i64) -> i32 {\nblock0(v0: i32, v1: i64):\n    v2 = iconst.i32 1\n",
    );
    let entries: Vec<String> = (0..n)
        .map(|i| format!("block{}(v0, v2)", 1 + i % 37))
        .collect();
    writeln!(
        s,
        "    br_table v0, block38(v2, v0), [{}]",
        entries.join(", ")
    )
    .unwrap();
    for b in 1..=38 {
        writeln!(s, "block{b}(v{}: i32, v{}: i32):", 100 + 2 * b, 101 + 2 * b).unwrap();
        writeln!(s, "    v{} = iconst.i32 {}", 300 + b, b * 1000).unwrap();
        writeln!(s, "    v{} = iadd v{}, v{}", 400 + b, 300 + b, 100 + 2 * b).unwrap();
        writeln!(s, "    v{} = isub v{}, v{}", 500 + b, 400 + b, 101 + 2 * b).unwrap();
        writeln!(s, "    return v{}", 500 + b).unwrap();
    }
    s.push_str("}\n");
    let m = build(&s);
    for i in [0, 1, 36, 37, 500, 999, 1000, 1001, -1, i32::MAX] {
        m.agree("wide", &[DataValue::I32(i), DataValue::I64(0)]);
    }
}

#[test]
fn block_parameter_swaps_and_rotations() {
    let m = build(
        "function %swap(i32, i32, i32, i32) -> i32, i32, i32 {
         block0(v0: i32, v1: i32, v2: i32, v3: i32):
             jump block1(v0, v1, v2, v3)
         block1(v4: i32, v5: i32, v6: i32, v7: i32):
             v8 = iconst.i32 1
             v9 = isub v7, v8
             v10 = iconst.i32 3
             v11 = urem v7, v10
             brif v11, block2, block3
         block2:
             brif v7, block1(v5, v4, v6, v9), block4(v4, v5, v6)
         block3:
             brif v7, block1(v5, v6, v4, v9), block4(v4, v5, v6)
         block4(v12: i32, v13: i32, v14: i32):
             return v12, v13, v14
         }
         function %same_target(i32, i32, i32) -> i32 {
         block0(v0: i32, v1: i32, v2: i32):
             brif v0, block1(v1, v2), block1(v2, v1)
         block1(v3: i32, v4: i32):
             v5 = iconst.i32 10
             v6 = imul v3, v5
             v7 = iadd v6, v4
             return v7
         }",
    );
    for n in [0, 1, 2, 3, 4, 5, 10, 11, 100] {
        m.agree("swap", &i32s(&[1, 2, 3, n]));
    }
    for c in [0, 1, 2] {
        m.agree("same_target", &i32s(&[c, 4, 7]));
    }
}
