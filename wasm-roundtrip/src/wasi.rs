//! Running WASI command modules (the corpus programs) in wasmtime, to compare a program's
//! output and run time before and after the round trip.

use std::time::{Duration, Instant};
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::WasiCtxBuilder;

/// Run a WASI program; its stdout and the best of `runs` run times (compilation excluded).
pub fn run_wasi(engine: &Engine, wasm: &[u8], runs: usize) -> Result<(Vec<u8>, Duration), String> {
    let module = Module::new(engine, wasm).map_err(|e| format!("wasmtime: {e:#}"))?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).map_err(|e| e.to_string())?;
    let mut best = Duration::MAX;
    let mut output = Vec::new();
    for _ in 0..runs {
        let stdout = MemoryOutputPipe::new(64 << 20);
        let ctx = WasiCtxBuilder::new().stdout(stdout.clone()).build_p1();
        let mut store = Store::new(engine, ctx);
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(|e| format!("instantiate: {e:#}"))?;
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(|e| e.to_string())?;
        let t = Instant::now();
        if let Err(e) = start.call(&mut store, ()) {
            match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(exit) if exit.0 == 0 => {}
                _ => return Err(format!("run: {e:#}")),
            }
        }
        best = best.min(t.elapsed());
        output = stdout.contents().to_vec();
    }
    Ok((output, best))
}
