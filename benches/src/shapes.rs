//! Generated functions of a chosen size, in the shapes that stress a backend's growth:
//! straight-line code, deep loop nests, wide `br_table` switches, irreducible tangles,
//! thousands of simultaneously live values, and long call chains. Each generator takes a
//! target instruction count and writes CLIF text that the reader parses (and that
//! Cranelift's verifier accepts), so every shape runs through both backends unchanged.

use crate::Workload;
use std::fmt::Write;

/// The generated shapes, by name.
pub const SHAPES: [&str; 6] = [
    "straight",
    "loop-nest",
    "br-table",
    "irreducible",
    "live-values",
    "call-chain",
];

/// The workload of shape `shape` with about `n` CLIF instructions.
pub fn generate(shape: &str, n: usize) -> Workload {
    let text = match shape {
        "straight" => straight(n),
        "loop-nest" => loop_nest(n),
        "br-table" => br_table(n),
        "irreducible" => irreducible(n),
        "live-values" => live_values(n),
        "call-chain" => call_chain(n),
        _ => panic!("no shape {shape}"),
    };
    Workload {
        name: format!("{shape}-{n}"),
        functions: cranelift_reader::parse_functions(&text)
            .unwrap_or_else(|e| panic!("generated {shape} CLIF parses: {e}")),
        decls: Default::default(),
        layout: Default::default(),
    }
}

/// Fresh value and block numbers (values after the parameters' `v0`..`v9`).
struct Names {
    value: usize,
    block: usize,
}

impl Default for Names {
    fn default() -> Self {
        Names { value: 9, block: 0 }
    }
}

impl Names {
    /// `k` instructions of arithmetic on `x` (a chain of `i64` ops), into `s`; returns the
    /// last result. Fattens blocks: the CLIF reader takes at most 100,000 blocks.
    fn work(&mut self, s: &mut String, x: &str, k: usize) -> String {
        let ops = ["imul", "iadd", "bxor", "isub"];
        let mut last = x.to_string();
        for i in 0..k {
            let d = self.v();
            writeln!(s, "    {d} = {} {last}, {x}", ops[i % ops.len()]).unwrap();
            last = d;
        }
        last
    }

    /// `dst = op a, K` for an immediate `K` of type `ty` (an `iconst` and the op), into
    /// `s`; returns `dst`.
    fn imm(&mut self, s: &mut String, op: &str, ty: &str, a: &str, k: i64) -> String {
        let (c, dst) = (self.v(), self.v());
        writeln!(s, "    {c} = iconst.{ty} {k}\n    {dst} = {op} {a}, {c}").unwrap();
        dst
    }

    fn v(&mut self) -> String {
        self.value += 1;
        format!("v{}", self.value)
    }
    fn b(&mut self) -> String {
        self.block += 1;
        format!("block{}", self.block)
    }
}

/// One block of integer arithmetic: each instruction reads the previous result and an
/// older one.
fn straight(n: usize) -> String {
    let mut s = String::from("function %straight(i64, i64) -> i64 {\nblock0(v0: i64, v1: i64):\n");
    let ops = ["iadd", "imul", "bxor", "isub", "band", "bor"];
    for i in 2..n + 2 {
        let (a, b) = (i - 1, i - 2 - (i % 3).min(i - 2));
        writeln!(s, "    v{i} = {} v{a}, v{b}", ops[i % ops.len()]).unwrap();
    }
    writeln!(s, "    return v{}\n}}", n + 1).unwrap();
    s
}

/// Nests of 32 loops (fewer for tiny sizes), one after another. Each level's counter is
/// live through every inner level, and an accumulator flows through all of them. Every
/// loop runs as many times as the second parameter says.
fn loop_nest(n: usize) -> String {
    const PER_LEVEL: usize = 23;
    let depth = (n / PER_LEVEL).clamp(1, 32);
    let nests = (n / (PER_LEVEL * depth)).max(1);
    let mut s = String::from("function %loop_nest(i64, i32) -> i64 {\nblock0(v0: i64, v1: i32):\n");
    let mut names = Names::default();
    let zero = names.v();
    writeln!(s, "    {zero} = iconst.i32 0").unwrap();
    let mut entry = names.b();
    writeln!(s, "    jump {entry}({zero}, v0)").unwrap();
    for _ in 0..nests {
        let mut hdrs = vec![entry.clone()];
        hdrs.extend((1..depth).map(|_| names.b()));
        let latches: Vec<String> = (0..depth).map(|_| names.b()).collect();
        let next = names.b();
        let mut counters = Vec::new();
        for k in 0..depth {
            let (c, acc) = (names.v(), names.v());
            writeln!(s, "{}({c}: i32, {acc}: i64):", hdrs[k]).unwrap();
            let (e, a1, a2) = (names.v(), names.v(), names.v());
            writeln!(s, "    {e} = uextend.i64 {c}").unwrap();
            writeln!(s, "    {a1} = iadd {acc}, {e}").unwrap();
            writeln!(s, "    {a2} = imul {a1}, {acc}").unwrap();
            let a2 = names.work(&mut s, &a2, 12);
            if k + 1 < depth {
                let z = names.v();
                writeln!(s, "    {z} = iconst.i32 0").unwrap();
                writeln!(s, "    jump {}({z}, {a2})", hdrs[k + 1]).unwrap();
            } else {
                writeln!(s, "    jump {}({a2})", latches[k]).unwrap();
            }
            counters.push(c);
        }
        for k in (0..depth).rev() {
            let acc = names.v();
            writeln!(s, "{}({acc}: i64):", latches[k]).unwrap();
            let c1 = names.imm(&mut s, "iadd", "i32", &counters[k], 1);
            let f = names.v();
            writeln!(s, "    {f} = icmp ult {c1}, v1").unwrap();
            let hdr = &hdrs[k];
            if k > 0 {
                writeln!(
                    s,
                    "    brif {f}, {hdr}({c1}, {acc}), {}({acc})",
                    latches[k - 1]
                )
                .unwrap();
            } else {
                let z = names.v();
                writeln!(s, "    {z} = iconst.i32 0").unwrap();
                writeln!(s, "    brif {f}, {hdr}({c1}, {acc}), {next}({z}, {acc})").unwrap();
            }
        }
        entry = next;
    }
    let (c, acc) = (names.v(), names.v());
    writeln!(s, "{entry}({c}: i32, {acc}: i64):\n    return {acc}\n}}").unwrap();
    s
}

/// One `br_table` over many small cases that meet in one block.
fn br_table(n: usize) -> String {
    let cases = (n / 13).max(1);
    let mut names = Names::default();
    let blocks: Vec<String> = (0..cases).map(|_| names.b()).collect();
    let join = names.b();
    let mut s = String::from("function %br_table(i32, i64) -> i64 {\nblock0(v0: i32, v1: i64):\n");
    writeln!(s, "    br_table v0, {}, [{}]", blocks[0], blocks.join(", ")).unwrap();
    for (k, b) in blocks.iter().enumerate() {
        writeln!(s, "{b}:").unwrap();
        let x = names.imm(&mut s, "iadd", "i64", "v1", k as i64);
        let y = names.work(&mut s, &x, 9);
        writeln!(s, "    jump {join}({y})").unwrap();
    }
    let r = names.v();
    writeln!(s, "{join}({r}: i64):\n    return {r}\n}}").unwrap();
    s
}

/// A chain of loops with two entries each (irreducible: neither block dominates the
/// other), each region leading to the next.
fn irreducible(n: usize) -> String {
    let regions = (n / 37).max(1);
    let mut names = Names::default();
    let mut s = String::from("function %irreducible(i64) -> i64 {\nblock0(v0: i64):\n");
    let mut entry = names.b();
    writeln!(s, "    jump {entry}(v0)").unwrap();
    for _ in 0..regions {
        let (b, c, next) = (names.b(), names.b(), names.b());
        let acc = names.v();
        writeln!(s, "{entry}({acc}: i64):").unwrap();
        let w = names.work(&mut s, &acc, 8);
        let f = names.imm(&mut s, "band", "i64", &w, 1);
        writeln!(s, "    brif {f}, {b}({acc}), {c}({acc})").unwrap();
        // Each block of the loop steps the value and goes to the other or out.
        for (here, step, limit, other) in [(&b, 1, 10, &c), (&c, 3, 20, &b)] {
            let x = names.v();
            writeln!(s, "{here}({x}: i64):").unwrap();
            let x = names.work(&mut s, &x, 8);
            let x1 = names.imm(&mut s, "iadd", "i64", &x, step);
            let g = names.imm(&mut s, "icmp ult", "i64", &x1, limit);
            writeln!(s, "    brif {g}, {other}({x1}), {next}({x1})").unwrap();
        }
        entry = next;
    }
    let r = names.v();
    writeln!(s, "{entry}({r}: i64):\n    return {r}\n}}").unwrap();
    s
}

/// Chunks of 2,000 values (fewer for small sizes) that are all live at once, across a
/// diamond, then summed in reverse order of definition.
fn live_values(n: usize) -> String {
    let width = (n / 2).clamp(1, 2000);
    let chunks = (n / (2 * width)).max(1);
    let mut names = Names::default();
    let mut s = String::from("function %live_values(i64) -> i64 {\nblock0(v0: i64):\n");
    let mut entry = names.b();
    writeln!(s, "    jump {entry}(v0)").unwrap();
    for _ in 0..chunks {
        let (left, right, sum, next) = (names.b(), names.b(), names.b(), names.b());
        let acc = names.v();
        writeln!(s, "{entry}({acc}: i64):").unwrap();
        // A chain, so that no two are alike, all live until the sum.
        let mut defs: Vec<String> = Vec::with_capacity(width);
        for _ in 0..width {
            let (d, prev) = (names.v(), defs.last().unwrap_or(&acc).clone());
            writeln!(s, "    {d} = iadd {prev}, {acc}").unwrap();
            defs.push(d);
        }
        writeln!(s, "    brif {acc}, {left}, {right}").unwrap();
        writeln!(
            s,
            "{left}:\n    jump {sum}\n{right}:\n    jump {sum}\n{sum}:"
        )
        .unwrap();
        let mut total = defs[width - 1].clone();
        for d in defs[..width - 1].iter().rev() {
            let t = names.v();
            writeln!(s, "    {t} = iadd {total}, {d}").unwrap();
            total = t;
        }
        writeln!(s, "    jump {next}({total})").unwrap();
        entry = next;
    }
    let r = names.v();
    writeln!(s, "{entry}({r}: i64):\n    return {r}\n}}").unwrap();
    s
}

/// Many small functions, each calling the next.
fn call_chain(n: usize) -> String {
    let funcs = (n / 6).max(2);
    let mut s = String::new();
    for i in 0..funcs {
        writeln!(s, "function %chain{i}(i64) -> i64 {{").unwrap();
        if i + 1 < funcs {
            writeln!(s, "    sig0 = (i64) -> i64\n    fn0 = %chain{} sig0", i + 1).unwrap();
            writeln!(
                s,
                "block0(v0: i64):\n    v1 = iconst.i64 {i}\n    v2 = iadd v0, v1"
            )
            .unwrap();
            writeln!(
                s,
                "    v3 = call fn0(v2)\n    v4 = imul v3, v0\n    return v4\n}}"
            )
            .unwrap();
        } else {
            writeln!(s, "block0(v0: i64):\n    return v0\n}}").unwrap();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_has_about_the_asked_size_and_lowers() {
        for shape in SHAPES {
            for n in [10, 1000] {
                let w = generate(shape, n);
                let got = w.instructions();
                assert!(
                    got >= n / 2 && got <= 2 * n + 50,
                    "{shape} at {n}: {got} instructions"
                );
                crate::try_lower(&w, false).unwrap_or_else(|e| panic!("{shape} at {n}: {e}"));
            }
        }
    }
}
