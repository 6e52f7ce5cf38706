//! Executing emitted modules in wasmtime, with values converted between Cranelift's
//! `DataValue`s and wasm values by the CLIF signature.

use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{self, immediates::Ieee32, immediates::Ieee64, types};
use wasmtime::{Config, Engine, Instance, Module, Store, Val};

/// Fuel per invocation: enough for every runtest, small enough to stop a runaway loop.
const FUEL: u64 = 20_000_000_000;

/// A wasmtime engine configured for the modules this backend emits.
pub struct Executor {
    engine: Engine,
}

impl Executor {
    /// An engine with memory64, tail calls, reference types (externrefs need wasmtime's GC)
    /// and fuel enabled.
    pub fn new() -> Result<Executor, String> {
        let mut config = Config::new();
        config
            .wasm_memory64(true)
            .wasm_tail_call(true)
            .wasm_reference_types(true)
            // The modules are small and run briefly: compile them fast.
            .cranelift_opt_level(wasmtime::OptLevel::None)
            .consume_fuel(true);
        Ok(Executor {
            engine: Engine::new(&config).map_err(|e| e.to_string())?,
        })
    }

    /// The engine (for embedders that run modules themselves, e.g. with externrefs).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compile `bytes` for this engine.
    pub fn load(&self, bytes: &[u8]) -> Result<Module, String> {
        Module::new(&self.engine, bytes).map_err(|e| format!("wasmtime rejected the module: {e:#}"))
    }

    /// Call export `name` of a fresh instance of `module` with `args`.
    pub fn invoke(
        &self,
        module: &Module,
        name: &str,
        sig: &ir::Signature,
        args: &[DataValue],
    ) -> Result<Vec<DataValue>, String> {
        let mut store = Store::new(&self.engine, ());
        store.set_fuel(FUEL).map_err(|e| e.to_string())?;
        let instance = Instance::new(&mut store, module, &[])
            .map_err(|e| format!("instantiation failed: {e:#}"))?;
        let func = instance
            .get_func(&mut store, name)
            .ok_or_else(|| format!("no export `{name}`"))?;
        let params: Vec<Val> = args.iter().map(to_val).collect::<Result<_, _>>()?;
        let mut results = vec![Val::I32(0); sig.returns.len()];
        func.call(&mut store, &params, &mut results)
            .map_err(|e| format!("trapped: {e:#}"))?;
        sig.returns
            .iter()
            .zip(&results)
            .map(|(p, v)| from_val(p.value_type, v))
            .collect()
    }
}

/// A `DataValue` as a wasm value (narrow integers zero-extended).
pub fn to_val(value: &DataValue) -> Result<Val, String> {
    Ok(match value {
        DataValue::I8(v) => Val::I32(i32::from(*v as u8)),
        DataValue::I16(v) => Val::I32(i32::from(*v as u16)),
        DataValue::I32(v) => Val::I32(*v),
        DataValue::I64(v) => Val::I64(*v),
        DataValue::F32(v) => Val::F32(v.bits()),
        DataValue::F64(v) => Val::F64(v.bits()),
        other => return Err(format!("unsupported argument {other}")),
    })
}

/// A wasm value as a `DataValue` of CLIF type `ty`.
pub fn from_val(ty: ir::Type, value: &Val) -> Result<DataValue, String> {
    Ok(match (ty, value) {
        (types::I8, Val::I32(v)) => DataValue::I8(*v as i8),
        (types::I16, Val::I32(v)) => DataValue::I16(*v as i16),
        (types::I32, Val::I32(v)) => DataValue::I32(*v),
        (types::I64, Val::I64(v)) => DataValue::I64(*v),
        (types::F32, Val::F32(v)) => DataValue::F32(Ieee32::with_bits(*v)),
        (types::F64, Val::F64(v)) => DataValue::F64(Ieee64::with_bits(*v)),
        (ty, v) => return Err(format!("unexpected result {v:?} for type {ty}")),
    })
}
