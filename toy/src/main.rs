//! `toy`: run a toy program natively (cranelift-jit) and as wasm (wasm-emit, wasmtime),
//! or write its wasm module.
//!
//! ```text
//! toy run FILE ENTRY [ARGS...]                       # both ways, results side by side
//! toy emit FILE OUT.wasm [wasm32|wasm64]             # write the wasm module
//! ```

use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: toy run FILE ENTRY [ARGS...] | toy emit FILE OUT.wasm [wasm32|wasm64]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") if args.len() >= 3 => run(&args[1], &args[2], &args[3..]),
        Some("emit") if (3..=4).contains(&args.len()) => emit(
            &args[1],
            &args[2],
            args.get(3).map_or("wasm32", String::as_str),
        ),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("toy: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(file: &str) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))
}

fn run(file: &str, entry: &str, args: &[String]) -> Result<(), String> {
    let src = read(file)?;
    let args = args
        .iter()
        .map(|a| a.parse().map_err(|e| format!("argument `{a}`: {e}")))
        .collect::<Result<Vec<i64>, _>>()?;
    let jit = toy::run_jit(&src, entry, &args)?;
    println!("cranelift-jit: {jit:?}");
    for triple in ["wasm32-unknown-unknown", "wasm64-unknown-unknown"] {
        let wasm = toy::run_wasm(&src, triple, entry, &args)?;
        let same = if wasm == jit { "same" } else { "DIFFERENT" };
        println!("{triple}: {wasm:?} ({same})");
    }
    Ok(())
}

fn emit(file: &str, out: &str, arch: &str) -> Result<(), String> {
    let src = read(file)?;
    let (wasm, _) = toy::emit_wasm(&src, &format!("{arch}-unknown-unknown"))?;
    std::fs::write(out, wasm).map_err(|e| format!("{out}: {e}"))
}
