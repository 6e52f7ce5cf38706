//! `clif2wasm-roundtrip IN.wasm -o OUT.wasm [--opt]`: the round trip as a program, which
//! `clif2wasm roundtrip` runs (an external subcommand, so that wasm-emit never depends on
//! the Cranelift 0.112 front end).

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Round-trip a wasm module through Cranelift and wasm-emit.
#[derive(Parser)]
#[command(name = "clif2wasm roundtrip")]
struct Args {
    /// The input module.
    input: PathBuf,
    /// Where to write the output module.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Run Cranelift's mid-end (e-graph, alias analysis, unreachable code, constant phis).
    #[arg(long)]
    opt: bool,
    /// Print code-section sizes and the round-trip time.
    #[arg(long)]
    stats: bool,
    /// Skip validating the output (for debugging the backend).
    #[arg(long)]
    no_validate: bool,
    /// Print the output as wat.
    #[arg(long)]
    wat: bool,
    /// wasm-emit's opt level: `speed` shares locals between values, `none` lowers fastest.
    #[arg(long, default_value = "speed")]
    opt_level: wasm_emit::OptLevel,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let input = match std::fs::read(&args.input) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.input.display());
            return ExitCode::FAILURE;
        }
    };
    let options = wasm_roundtrip::Options {
        optimize: args.opt,
        validate: !args.no_validate,
        opt_level: args.opt_level,
    };
    let start = Instant::now();
    let output = match wasm_roundtrip::roundtrip(&input, &options) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("error: {}: {e}", args.input.display());
            return ExitCode::from(if e.is_unsupported() { 3 } else { 1 });
        }
    };
    let elapsed = start.elapsed();
    if args.stats {
        let before = wasm_roundtrip::code_section_size(&input).unwrap_or(0);
        let after = wasm_roundtrip::code_section_size(&output).unwrap_or(0);
        println!(
            "code {before} -> {after} bytes (ratio {:.3}), round trip {:.1} ms",
            after as f64 / before.max(1) as f64,
            elapsed.as_secs_f64() * 1e3
        );
    }
    if args.wat {
        match wasmprinter::print_bytes(&output) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: printing wat: {e}"),
        }
    }
    if let Some(path) = &args.output {
        if let Err(e) = std::fs::write(path, &output) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
