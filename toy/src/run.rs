//! Running a toy program: natively with cranelift-jit, or as a wasm module built by
//! wasm-emit's `WasmModule` and run in wasmtime. Both give an [`Outcome`].

use crate::codegen::{compile, Compiled, Symbol};
use crate::syntax::{parse, Item, Program};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::default_libcall_names;
use std::cell::RefCell;
use wasm_emit::{WasmBuilder, WasmModule};
use wasmtime::{Config, Engine, Linker, Store, Val};

/// What a run observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The entry function's result.
    pub result: i64,
    /// Every value passed to `print`, in order.
    pub printed: Vec<i64>,
    /// Every `var` after the run, in source order.
    pub vars: Vec<(String, i64)>,
}

/// The only extern function the runners provide: `print(x)` records `x`, returns 0.
const HOST_FUNCTIONS: [&str; 1] = ["print"];

fn check_externs(program: &Program) -> Result<(), String> {
    for item in &program.items {
        if let Item::Extern { name, arity } = item {
            if !HOST_FUNCTIONS.contains(&name.as_str()) || *arity != 1 {
                return Err(format!(
                    "extern `{name}`/{arity}: the runners provide only `print(x)`"
                ));
            }
        }
    }
    Ok(())
}

fn entry_arity(compiled: &Compiled, entry: &str, args: &[i64]) -> Result<(), String> {
    match compiled.symbols.get(entry) {
        Some(Symbol::Func(_, arity)) if *arity == args.len() => Ok(()),
        Some(Symbol::Func(_, arity)) => Err(format!("`{entry}` takes {arity} arguments")),
        _ => Err(format!("no function `{entry}`")),
    }
}

thread_local! {
    static PRINTED: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
}

extern "C" fn host_print(x: i64) -> i64 {
    PRINTED.with(|p| p.borrow_mut().push(x));
    0
}

/// Compile `src` with cranelift-jit for the host and call `entry(args)`.
pub fn run_jit(src: &str, entry: &str, args: &[i64]) -> Result<Outcome, String> {
    let program = parse(src)?;
    check_externs(&program)?;
    let mut builder = JITBuilder::new(default_libcall_names()).map_err(|e| e.to_string())?;
    builder.symbol("print", host_print as *const u8);
    let mut module = JITModule::new(builder);
    let compiled = compile(&mut module, &program)?;
    entry_arity(&compiled, entry, args)?;
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let Some(&Symbol::Func(id, _)) = compiled.symbols.get(entry) else {
        unreachable!("checked by entry_arity");
    };
    let code = module.get_finalized_function(id);
    PRINTED.with(|p| p.borrow_mut().clear());
    // SAFETY: `entry` was compiled by `compile` with `args.len()` i64 parameters and an i64
    // result, in the host's default calling convention.
    let result = unsafe {
        match *args {
            [] => std::mem::transmute::<*const u8, extern "C" fn() -> i64>(code)(),
            [a] => std::mem::transmute::<*const u8, extern "C" fn(i64) -> i64>(code)(a),
            [a, b] => std::mem::transmute::<*const u8, extern "C" fn(i64, i64) -> i64>(code)(a, b),
            [a, b, c] => {
                std::mem::transmute::<*const u8, extern "C" fn(i64, i64, i64) -> i64>(code)(a, b, c)
            }
            _ => return Err("the JIT runner takes at most 3 arguments".into()),
        }
    };
    let vars = compiled
        .vars
        .iter()
        .map(|(name, id)| {
            let (ptr, _) = module.get_finalized_data(*id);
            // SAFETY: a `var` is 8 bytes, 8-aligned, and the module is still alive.
            (name.clone(), unsafe { (ptr as *const i64).read() })
        })
        .collect();
    let printed = PRINTED.with(|p| std::mem::take(&mut *p.borrow_mut()));
    Ok(Outcome {
        result,
        printed,
        vars,
    })
}

/// Compile `src` into a wasm module for `triple` (`wasm32-unknown-unknown` or
/// `wasm64-unknown-unknown`).
pub fn emit_wasm(src: &str, triple: &str) -> Result<(Vec<u8>, Compiled), String> {
    let program = parse(src)?;
    let triple = triple.parse().map_err(|e| format!("{e}"))?;
    let builder = WasmBuilder::new(triple).map_err(|e| e.to_string())?;
    let mut module = WasmModule::new(builder);
    let compiled = compile(&mut module, &program)?;
    let wasm = module.finish().emit().map_err(|e| e.to_string())?;
    Ok((wasm, compiled))
}

/// Compile `src` into a wasm module for `triple` and call `entry(args)` in wasmtime.
pub fn run_wasm(src: &str, triple: &str, entry: &str, args: &[i64]) -> Result<Outcome, String> {
    check_externs(&parse(src)?)?;
    let (wasm, compiled) = emit_wasm(src, triple)?;
    entry_arity(&compiled, entry, args)?;
    let mut config = Config::new();
    config.wasm_memory64(true);
    let engine = Engine::new(&config).map_err(|e| e.to_string())?;
    let module = wasmtime::Module::new(&engine, &wasm).map_err(|e| e.to_string())?;
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "print",
            |mut caller: wasmtime::Caller<'_, Vec<i64>>, x: i64| {
                caller.data_mut().push(x);
                0i64
            },
        )
        .map_err(|e| e.to_string())?;
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| e.to_string())?;
    let func = instance
        .get_func(&mut store, entry)
        .ok_or_else(|| format!("`{entry}` is not exported"))?;
    let params: Vec<Val> = args.iter().map(|&a| Val::I64(a)).collect();
    let mut results = [Val::I64(0)];
    func.call(&mut store, &params, &mut results)
        .map_err(|e| format!("trap: {e}"))?;
    let memory = instance
        .get_memory(&mut store, "memory")
        .ok_or("no exported memory")?;
    let mut vars = Vec::new();
    for (name, _) in &compiled.vars {
        let global = instance
            .get_global(&mut store, name)
            .ok_or_else(|| format!("var `{name}` is not exported"))?;
        let addr = match global.get(&mut store) {
            Val::I32(a) => a as u32 as usize,
            Val::I64(a) => a as usize,
            other => return Err(format!("var `{name}` exports {other:?}")),
        };
        let mut bytes = [0u8; 8];
        memory
            .read(&store, addr, &mut bytes)
            .map_err(|e| e.to_string())?;
        vars.push((name.clone(), i64::from_le_bytes(bytes)));
    }
    Ok(Outcome {
        result: results[0].unwrap_i64(),
        printed: std::mem::take(store.data_mut()),
        vars,
    })
}
