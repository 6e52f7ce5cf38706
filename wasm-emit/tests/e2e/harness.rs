//! Test harness: compile CLIF with wasm-emit, run it in wasmtime, and compare with
//! Cranelift's interpreter (the oracle) or with expected values.

use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{self, types, Type};
use cranelift_interpreter::environment::FunctionStore;
use cranelift_interpreter::interpreter::{Interpreter, InterpreterState};
use cranelift_interpreter::step::ControlFlow;
use std::sync::OnceLock;
use wasm_emit::runtest::Executor;
use wasm_emit::{OptLevel, Options, Target};

/// The result of running a function: its values, or a trap.
#[derive(Debug, Clone)]
pub enum Outcome {
    Values(Vec<DataValue>),
    Trap,
}

fn executor() -> &'static Executor {
    static EXEC: OnceLock<Executor> = OnceLock::new();
    EXEC.get_or_init(|| Executor::new().expect("wasmtime starts"))
}

/// Parse CLIF text, with the off-heap extension's syntax.
pub fn parse_module(text: &str) -> (cranelift_offheap::ModuleDecls, Vec<ir::Function>) {
    cranelift_offheap::text::parse(text).unwrap_or_else(|e| panic!("bad test CLIF: {e}\n{text}"))
}

/// Parse CLIF text (functions only).
pub fn parse(text: &str) -> Vec<ir::Function> {
    parse_module(text).1
}

/// A compiled module with the functions it came from.
pub struct Compiled {
    pub funcs: Vec<ir::Function>,
    /// Compiled at the default opt level (speed).
    pub module: wasmtime::Module,
    /// The same functions at opt level none: every run checks that it agrees.
    pub module_none: wasmtime::Module,
}

/// Compile CLIF text for `target`; the module is validated by `compile` itself, and
/// validated again here against the full feature set so a test cannot pass on an
/// unvalidated module.
pub fn build_for(text: &str, target: Target) -> Compiled {
    build_in(text, target, |_| Default::default())
}

/// Compile for wasm64 (Cranelift's runtests use 64-bit pointers).
pub fn build(text: &str) -> Compiled {
    build_for(text, Target::wasm64())
}

impl Compiled {
    fn func(&self, name: &str) -> &ir::Function {
        self.funcs
            .iter()
            .find(|f| f.name.to_string() == format!("%{name}"))
            .unwrap_or_else(|| panic!("no function %{name}"))
    }

    /// Run `name` in wasmtime, at both opt levels (which must agree).
    pub fn wasm(&self, name: &str, args: &[DataValue]) -> Outcome {
        let sig = &self.func(name).signature;
        let run = |module| match executor().invoke(module, name, sig, args) {
            Ok(values) => Outcome::Values(values),
            Err(e) if e.starts_with("trapped") => Outcome::Trap,
            Err(e) => panic!("running {name}: {e}"),
        };
        let (speed, none) = (run(&self.module), run(&self.module_none));
        assert!(
            same_outcome(&speed, &none),
            "{name}({}) = {speed:?} at opt level speed, {none:?} at opt level none",
            display(args)
        );
        speed
    }

    /// Run `name` in Cranelift's interpreter.
    pub fn interp(&self, name: &str, args: &[DataValue]) -> Outcome {
        let mut store = FunctionStore::default();
        for f in &self.funcs {
            store.add(f.name.to_string(), f);
        }
        let state = InterpreterState::default().with_function_store(store);
        let mut interpreter = Interpreter::new(state).with_fuel(Some(100_000_000));
        match interpreter.call_by_name(&format!("%{name}"), args) {
            Ok(ControlFlow::Return(values)) => Outcome::Values(values.to_vec()),
            Ok(ControlFlow::Trap(_)) => Outcome::Trap,
            Ok(other) => panic!("interpreter ended with {other:?}"),
            Err(e) => panic!("interpreter failed on {name}({args:?}): {e}"),
        }
    }

    /// Assert wasmtime and the interpreter agree on `name(args)`.
    pub fn agree(&self, name: &str, args: &[DataValue]) {
        let wasm = self.wasm(name, args);
        let interp = self.interp(name, args);
        assert!(
            same_outcome(&wasm, &interp),
            "{name}({}) = {wasm:?} in wasm, {interp:?} in the interpreter",
            display(args)
        );
    }

    /// Assert `name(args)` returns `expected` in wasmtime.
    pub fn expect(&self, name: &str, args: &[DataValue], expected: &[DataValue]) {
        match self.wasm(name, args) {
            Outcome::Values(v) if same_values(&v, expected) => {}
            other => panic!(
                "{name}({}) = {other:?}, expected {}",
                display(args),
                display(expected)
            ),
        }
    }

    /// Assert `name(args)` traps in wasmtime.
    pub fn expect_trap(&self, name: &str, args: &[DataValue]) {
        if let Outcome::Values(v) = self.wasm(name, args) {
            panic!(
                "{name}({}) = {}, expected a trap",
                display(args),
                display(&v)
            );
        }
    }
}

fn display(values: &[DataValue]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bitwise equality, except that any two NaNs of the same type are equal (CLIF leaves NaN
/// payloads of arithmetic results unspecified).
pub fn same_value(a: &DataValue, b: &DataValue) -> bool {
    match (a, b) {
        (DataValue::F32(x), DataValue::F32(y)) => {
            x.bits() == y.bits() || (x.is_nan() && y.is_nan())
        }
        (DataValue::F64(x), DataValue::F64(y)) => {
            x.bits() == y.bits() || (x.is_nan() && y.is_nan())
        }
        _ => a.bitwise_eq(b),
    }
}

fn same_values(a: &[DataValue], b: &[DataValue]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
}

fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Values(x), Outcome::Values(y)) => same_values(x, y),
        (Outcome::Trap, Outcome::Trap) => true,
        _ => false,
    }
}

/// An integer `DataValue` of type `ty` from the low bits of `v`.
pub fn int(ty: Type, v: i64) -> DataValue {
    match ty {
        types::I8 => DataValue::I8(v as i8),
        types::I16 => DataValue::I16(v as i16),
        types::I32 => DataValue::I32(v as i32),
        _ => DataValue::I64(v),
    }
}

/// The integer in a `DataValue`, sign-extended.
pub fn as_i64(v: &DataValue) -> i64 {
    match v {
        DataValue::I8(x) => i64::from(*x),
        DataValue::I16(x) => i64::from(*x),
        DataValue::I32(x) => i64::from(*x),
        DataValue::I64(x) => *x,
        other => panic!("not an integer: {other}"),
    }
}

/// Interesting integers for a type: edges plus pseudo-random values.
pub fn int_samples(ty: Type, rng: &mut Rng, random: usize) -> Vec<DataValue> {
    let bits = ty.bits();
    let min = if bits == 64 {
        i64::MIN
    } else {
        -(1i64 << (bits - 1))
    };
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let mut v: Vec<i64> = vec![
        0,
        1,
        2,
        3,
        7,
        -1,
        -2,
        min,
        max,
        min + 1,
        max - 1,
        bits as i64 - 1,
        bits as i64,
    ];
    for _ in 0..random {
        v.push(rng.next() as i64);
    }
    v.into_iter().map(|x| int(ty, x)).collect()
}

/// Interesting floats of type `ty` (bit patterns included: NaNs, infinities, subnormals).
pub fn float_samples(ty: Type, rng: &mut Rng, random: usize) -> Vec<DataValue> {
    let mut out = Vec::new();
    if ty == types::F32 {
        let vals: [f32; 22] = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            3.7,
            -3.7,
            127.9,
            128.0,
            -128.5,
            255.5,
            256.0,
            65535.9,
            2147483520.0,
            -2147483648.0,
            4294967040.0,
            1e30,
            -1e30,
        ];
        out.extend(vals.iter().map(|&f| DataValue::F32(f.into())));
        for bits in [
            0x7fc0_0000u32,
            0xffc0_0001,
            0x7f80_0001,
            0x7f80_0000,
            0xff80_0000,
            0x0000_0001,
            0x8000_0001,
            0x007f_ffff,
            0x0080_0000,
            0x7f7f_ffff,
        ] {
            out.push(DataValue::F32(ir::immediates::Ieee32::with_bits(bits)));
        }
        for _ in 0..random {
            out.push(DataValue::F32(ir::immediates::Ieee32::with_bits(
                rng.next() as u32,
            )));
        }
    } else {
        let vals: [f64; 22] = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            3.7,
            -3.7,
            127.9,
            128.0,
            -128.5,
            2147483647.9,
            -2147483648.9,
            4294967295.5,
            9.2233720368547e18,
            -9.2233720368548e18,
            1.8446744073709552e19,
            1e300,
            -1e300,
        ];
        out.extend(vals.iter().map(|&f| DataValue::F64(f.into())));
        for bits in [
            0x7ff8_0000_0000_0000u64,
            0xfff8_0000_0000_0001,
            0x7ff0_0000_0000_0001,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            1,
            0x8000_0000_0000_0001,
            0x000f_ffff_ffff_ffff,
            0x0010_0000_0000_0000,
            0x7fef_ffff_ffff_ffff,
        ] {
            out.push(DataValue::F64(ir::immediates::Ieee64::with_bits(bits)));
        }
        for _ in 0..random {
            out.push(DataValue::F64(ir::immediates::Ieee64::with_bits(
                rng.next(),
            )));
        }
    }
    out
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Compile CLIF text for wasm32 inside `layout` (built from the parsed declarations).
pub fn build_with_layout(
    text: &str,
    layout: impl FnOnce(&cranelift_offheap::ModuleDecls) -> wasm_emit::ModuleLayout,
) -> Compiled {
    build_in(text, Target::wasm32(), layout)
}

/// Compile CLIF text for `target` inside `layout`, validate it against the full feature
/// set, and load it in wasmtime.
fn build_in(
    text: &str,
    target: Target,
    layout: impl FnOnce(&cranelift_offheap::ModuleDecls) -> wasm_emit::ModuleLayout,
) -> Compiled {
    let (decls, funcs) = parse_module(text);
    let layout = layout(&decls);
    let compile = |opt_level| {
        let options = Options {
            target: target.clone(),
            opt_level,
            ..Options::default()
        };
        wasm_emit::compile_with_layout(&funcs, &decls, &layout, &options)
            .unwrap_or_else(|e| panic!("compile failed at {opt_level:?}: {e}\n{text}"))
    };
    let (speed, none) = (compile(OptLevel::Speed), compile(OptLevel::None));
    load(funcs, &speed, &none)
}

/// `funcs` compiled into `speed` (at opt level speed) and `none` (at opt level none),
/// validated against the full feature set and loaded in wasmtime.
pub fn load(funcs: Vec<ir::Function>, speed: &[u8], none: &[u8]) -> Compiled {
    let load = |bytes: &[u8]| {
        wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
            .validate_all(bytes)
            .expect("emitted module validates");
        executor().load(bytes).expect("wasmtime accepts the module")
    };
    Compiled {
        module: load(speed),
        module_none: load(none),
        funcs,
    }
}
