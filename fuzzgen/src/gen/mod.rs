//! A generator of random, valid, terminating groups of CLIF functions for differential
//! testing, driven by `arbitrary` bytes.
//!
//! Shape: functions `%f0..%fN`; `%fi` may call (directly, indirectly or as a tail call)
//! only `%fj` with `j > i`, so calls terminate. Every function threads a fuel parameter
//! through a random CFG of body blocks (any block may branch to any other, so loops,
//! several exits and irreducible regions all occur); each body block decrements the fuel
//! and leaves through the exit block when it runs out. Memory accesses go to explicit
//! stack slots (whose addresses may escape to callees), to a heap region of linear memory,
//! to value slots and to off-heap globals. Float values are canonicalized before their bits
//! can be observed (stores, bitcasts), so NaN payloads, which CLIF leaves unspecified, cannot
//! make a correct backend look wrong.

mod insts;
mod ops;

use arbitrary::{Result, Unstructured};
use std::fmt::Write;

/// Start of the heap region the generated code addresses (above the 1 MiB shadow stack).
pub const HEAP_BASE: i64 = 0x10_0000;

/// A scalar type of the generated code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

impl Ty {
    pub const ALL: [Ty; 6] = [Ty::I8, Ty::I16, Ty::I32, Ty::I64, Ty::F32, Ty::F64];
    pub const INTS: [Ty; 4] = [Ty::I8, Ty::I16, Ty::I32, Ty::I64];

    pub fn name(self) -> &'static str {
        match self {
            Ty::I8 => "i8",
            Ty::I16 => "i16",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
        }
    }

    pub fn is_int(self) -> bool {
        !matches!(self, Ty::F32 | Ty::F64)
    }

    pub fn bits(self) -> u32 {
        match self {
            Ty::I8 => 8,
            Ty::I16 => 16,
            Ty::I32 | Ty::F32 => 32,
            Ty::I64 | Ty::F64 => 64,
        }
    }

    pub fn bytes(self) -> u32 {
        self.bits() / 8
    }
}

/// A generated program.
#[derive(Clone, Debug)]
pub struct Program {
    /// The CLIF text (with the off-heap extension's syntax).
    pub text: String,
    /// Parameter types of `%f0`, the entry.
    pub entry_params: Vec<Ty>,
    /// Types of the off-heap globals `%g0..`, exported as `g0..`.
    pub globals: Vec<Ty>,
}

#[derive(Clone, Debug)]
struct FuncSig {
    params: Vec<Ty>,
    returns: Vec<Ty>,
    /// Whether the last parameter is an i64 pointer to at least 16 accessible bytes.
    has_ptr: bool,
}

impl FuncSig {
    /// All CLIF parameters: fuel, the typed parameters, then the pointer.
    fn clif_params(&self) -> Vec<&'static str> {
        let mut p = vec!["i32"];
        p.extend(self.params.iter().map(|t| t.name()));
        if self.has_ptr {
            p.push("i64");
        }
        p
    }

    fn text(&self, call_conv: &str) -> String {
        let rets: Vec<&str> = self.returns.iter().map(|t| t.name()).collect();
        format!(
            "({}) -> {} {call_conv}",
            self.clif_params().join(", "),
            rets.join(", ")
        )
    }
}

fn ty(u: &mut Unstructured) -> Result<Ty> {
    Ok(*u.choose(&Ty::ALL)?)
}

/// Generate a program from `u`.
pub fn generate(u: &mut Unstructured) -> Result<Program> {
    let num_globals = u.int_in_range(0..=3)?;
    let globals: Vec<(Ty, bool)> = (0..num_globals)
        .map(|_| Ok((ty(u)?, u.ratio(3, 4)?)))
        .collect::<Result<_>>()?;
    let num_funcs = u.int_in_range(1..=4)?;
    // Functions that may be tail-called share return types with their callers: draw
    // returns from a small menu so that matches are common.
    let menu: [&[Ty]; 4] = [
        &[Ty::I64],
        &[Ty::I32, Ty::F64],
        &[Ty::F32],
        &[Ty::I8, Ty::I64],
    ];
    let sigs: Vec<FuncSig> = (0..num_funcs)
        .map(|i| {
            let n = u.int_in_range(0..=3)?;
            Ok(FuncSig {
                params: (0..n).map(|_| ty(u)).collect::<Result<_>>()?,
                returns: u.choose(&menu)?.to_vec(),
                has_ptr: i > 0 && u.ratio(1, 2)?,
            })
        })
        .collect::<Result<_>>()?;
    let mut text = String::new();
    for (i, (t, mutable)) in globals.iter().enumerate() {
        let init = match t {
            Ty::F32 => f32_literal(u.arbitrary::<u32>()?),
            Ty::F64 => f64_literal(u.arbitrary::<u64>()?),
            Ty::I64 => u.arbitrary::<i64>()?.to_string(),
            _ => (u.arbitrary::<i32>()? & mask(*t) as i32).to_string(),
        };
        let t = match t {
            Ty::I8 | Ty::I16 => Ty::I32,
            t => *t,
        };
        let m = if *mutable { " mut" } else { "" };
        writeln!(
            text,
            "global %g{i}: {}{m} = {init} export \"g{i}\"",
            t.name()
        )
        .unwrap();
    }
    let globals: Vec<(Ty, bool)> = globals
        .into_iter()
        .map(|(t, m)| {
            (
                if matches!(t, Ty::I8 | Ty::I16) {
                    Ty::I32
                } else {
                    t
                },
                m,
            )
        })
        .collect();
    for i in 0..num_funcs {
        let mut f = ops::FuncGen::new(i, &sigs, &globals);
        f.generate(u)?;
        text.push('\n');
        text.push_str(&f.out);
    }
    Ok(Program {
        text,
        entry_params: sigs[0].params.clone(),
        globals: globals.iter().map(|g| g.0).collect(),
    })
}

/// The all-ones mask of an integer type's width.
pub fn mask(t: Ty) -> i64 {
    match t.bits() {
        64 => -1,
        b => (1i64 << b) - 1,
    }
}

/// A CLIF literal for the f32 with these bits (never a NaN with a payload we care about).
pub fn f32_literal(bits: u32) -> String {
    cranelift_codegen::ir::immediates::Ieee32::with_bits(bits).to_string()
}

/// A CLIF literal for the f64 with these bits.
pub fn f64_literal(bits: u64) -> String {
    cranelift_codegen::ir::immediates::Ieee64::with_bits(bits).to_string()
}
