//! The `differential` target: a generated program lowered by wasm-emit and run in wasmtime,
//! against Cranelift's interpreter with [`WasmState`](crate::interp::WasmState): results,
//! traps, linear memory and globals must agree (NaNs compare equal to NaNs, as CLIF leaves
//! their payloads unspecified).

use crate::gen::{generate, Program, Ty};
use crate::interp::{global_type, Outcome, WasmState};
use arbitrary::Unstructured;
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{immediates::Ieee32, immediates::Ieee64};
use std::sync::OnceLock;
use wasm_emit::runtest::Executor;
use wasm_emit::{compile_module, OptLevel, Options, Target};
use wasmtime::{Instance, Store, Val};

/// Instructions either side may execute before the run is called inconclusive.
const FUEL: u64 = 200_000;

fn executor() -> &'static Executor {
    static EXEC: OnceLock<Executor> = OnceLock::new();
    EXEC.get_or_init(|| Executor::new().expect("wasmtime starts"))
}

/// What a differential run established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The input did not make a program.
    NoProgram,
    /// Both returned the same values (and memory and globals).
    SameValues,
    /// Both trapped (with the same memory and globals).
    BothTrapped,
    /// A side ran out of fuel or the interpreter could not run it: no verdict.
    Inconclusive,
}

/// Generate a program from `data` and check that both sides agree; panics on a mismatch.
pub fn differential(data: &[u8]) -> Verdict {
    let mut u = Unstructured::new(data);
    let Ok(program) = generate(&mut u) else {
        return Verdict::NoProgram;
    };
    let args: Vec<DataValue> = program
        .entry_params
        .iter()
        .map(|&t| arg(&mut u, t))
        .collect();
    // Both opt levels, chosen by the input.
    let opt_level = if u.arbitrary().unwrap_or(false) {
        OptLevel::None
    } else {
        OptLevel::Speed
    };
    match check(&program, &args, opt_level) {
        Ok(verdict) => verdict,
        Err(e) => panic!(
            "{e}\n--- program (opt level {opt_level:?}) ---\n{}\n--- args: {args:?}",
            program.text
        ),
    }
}

fn arg(u: &mut Unstructured, t: Ty) -> DataValue {
    match t {
        Ty::I8 => DataValue::I8(u.arbitrary().unwrap_or(0)),
        Ty::I16 => DataValue::I16(u.arbitrary().unwrap_or(0)),
        Ty::I32 => DataValue::I32(u.arbitrary().unwrap_or(0)),
        Ty::I64 => DataValue::I64(u.arbitrary().unwrap_or(0)),
        Ty::F32 => DataValue::F32(Ieee32::with_bits(u.arbitrary().unwrap_or(0))),
        Ty::F64 => DataValue::F64(Ieee64::with_bits(u.arbitrary().unwrap_or(0))),
    }
}

/// Run `program` lowered at `opt_level` on both sides with `args` for `%f0` (after the
/// fuel argument).
pub fn check(
    program: &Program,
    args: &[DataValue],
    opt_level: OptLevel,
) -> Result<Verdict, String> {
    let (decls, funcs) = cranelift_offheap::text::parse(&program.text)
        .map_err(|e| format!("generated text does not parse: {e}"))?;
    let options = Options {
        target: Target::wasm64(),
        opt_level,
        ..Options::default()
    };
    let bytes =
        compile_module(&funcs, &decls, &options).map_err(|e| format!("lowering failed: {e}"))?;
    let memory_bytes = ((options.stack_size / 65536 + 1) * 65536) as usize;

    // wasmtime.
    let exec = executor();
    let module = exec.load(&bytes)?;
    let mut store = Store::new(exec.engine(), ());
    store.set_fuel(FUEL * 4).map_err(|e| e.to_string())?;
    let instance =
        Instance::new(&mut store, &module, &[]).map_err(|e| format!("instantiate: {e}"))?;
    let f0 = instance.get_func(&mut store, "f0").ok_or("no export f0")?;
    let sig = &funcs[0].signature;
    let mut params = vec![Val::I32(7)];
    for a in args {
        params.push(wasm_emit::runtest::exec_val(a)?);
    }
    let mut results = vec![Val::I32(0); sig.returns.len()];
    let wasm = match f0.call(&mut store, &params, &mut results) {
        Ok(()) => Outcome::Values(
            sig.returns
                .iter()
                .zip(&results)
                .map(|(p, v)| wasm_emit::runtest::exec_data_value(p.value_type, v))
                .collect::<Result<_, _>>()?,
        ),
        Err(e)
            if matches!(
                e.downcast_ref::<wasmtime::Trap>(),
                Some(wasmtime::Trap::OutOfFuel)
            ) =>
        {
            return Ok(Verdict::Inconclusive);
        }
        Err(_) => Outcome::Trap,
    };

    // The interpreter.
    let mut state = WasmState::new(&funcs, &decls, memory_bytes, options.stack_size);
    let mut interp_args = vec![DataValue::I32(7)];
    interp_args.extend_from_slice(args);
    let interp = state.run("%f0", &interp_args, FUEL);

    let verdict = match (&wasm, &interp) {
        (_, Outcome::Inconclusive(_)) => return Ok(Verdict::Inconclusive),
        (Outcome::Values(a), Outcome::Values(b)) if same_values(a, b) => Verdict::SameValues,
        (Outcome::Trap, Outcome::Trap) => Verdict::BothTrapped,
        _ => {
            return Err(format!(
                "results differ: wasm {wasm:?}, interpreter {interp:?}"
            ))
        }
    };

    // Linear memory and globals.
    if let Some(memory) = instance.get_memory(&mut store, "memory") {
        let data = memory.data(&store);
        if data[..memory_bytes] != state.memory[..] {
            let first = data
                .iter()
                .zip(&state.memory)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            return Err(format!(
                "memory differs first at {first:#x}: wasm {:#04x}, interpreter {:#04x}",
                data[first], state.memory[first]
            ));
        }
    }
    for (i, _) in program.globals.iter().enumerate() {
        let global = instance
            .get_global(&mut store, &format!("g{i}"))
            .ok_or("missing global export")?;
        let ty = global_type(&decls, i);
        let wasm_value = wasm_emit::runtest::exec_data_value(ty, &global.get(&mut store))?;
        let interp_value =
            DataValue::read_from_slice_le(&state.globals[i][..ty.bytes() as usize], ty);
        if !same_value(&wasm_value, &interp_value) {
            return Err(format!(
                "global g{i} differs: wasm {wasm_value}, interpreter {interp_value}"
            ));
        }
    }
    Ok(verdict)
}

/// Equality as CLIF defines it for results: bitwise, but any NaN equals any NaN.
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
