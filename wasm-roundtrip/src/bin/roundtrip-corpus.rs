//! `roundtrip-corpus [DIR]`: round-trip every module of the corpus (`corpus/fetch.sh`
//! builds and fetches it into `corpus/build`) with and without `--opt`, and at wasm-emit's
//! opt level none, and print one markdown table: code-section bytes in and out, their
//! ratio, the round-trip time, and for the runnable programs (those with
//! `corpus/programs/NAME.expected`) whether the output is byte-identical (at both opt
//! levels) and the runtime under wasmtime relative to the input's.
//!
//! Modules using features the round trip does not have are listed as such. The exit code
//! is non-zero if a module fails for another reason or a program's output differs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use wasm_roundtrip::wasi::run_wasi;
use wasmtime::{Config, Engine};

fn modules(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for sub in ["programs", "npm"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "wasm") {
                    found.push(p);
                }
            }
        }
    }
    found.sort();
    found
}

fn geomean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    (xs.iter().map(|x| x.ln()).sum::<f64>() / xs.len() as f64).exp()
}

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("corpus/build"));
    let expected_dir = dir.join("../programs");
    let list = modules(&dir);
    if list.is_empty() {
        eprintln!(
            "no modules under {}; run corpus/fetch.sh first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    let mut config = Config::new();
    config.wasm_tail_call(true);
    let engine = Engine::new(&config).expect("wasmtime starts");
    let mut failed = false;
    let (mut ratios, mut opt_ratios, mut speed) = (Vec::new(), Vec::new(), Vec::new());
    let mut none_ratios = Vec::new();
    println!("| module | code in | code out | ratio | out `--opt` | ratio | out at opt level none | ratio | round trip | output | runtime out/in |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for path in &list {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let input = std::fs::read(path).expect("readable");
        let code_in = wasm_roundtrip::code_section_size(&input).unwrap_or(0);
        let t = Instant::now();
        let plain = wasm_roundtrip::roundtrip(&input, &Default::default());
        let time = t.elapsed();
        let out = match plain {
            Ok(out) => out,
            Err(e) if e.is_unsupported() => {
                println!(
                    "| {name} | {code_in} | unsupported: {} | | | | | | | | |",
                    e.to_string().replace('|', "/")
                );
                continue;
            }
            Err(e) => {
                failed = true;
                println!(
                    "| {name} | {code_in} | FAILED: {} | | | | | | | | |",
                    e.to_string().replace('|', "/")
                );
                continue;
            }
        };
        let opt_options = wasm_roundtrip::Options {
            optimize: true,
            ..Default::default()
        };
        let opt = wasm_roundtrip::roundtrip(&input, &opt_options);
        let none_options = wasm_roundtrip::Options {
            opt_level: wasm_emit::OptLevel::None,
            ..Default::default()
        };
        let none = wasm_roundtrip::roundtrip(&input, &none_options);
        let code_out = wasm_roundtrip::code_section_size(&out).unwrap_or(0);
        let ratio = code_out as f64 / code_in.max(1) as f64;
        ratios.push(ratio);
        let mut size = |result: &Result<Vec<u8>, wasm_roundtrip::RoundTripError>,
                        ratios: &mut Vec<f64>| match result {
            Ok(o) => {
                let n = wasm_roundtrip::code_section_size(o).unwrap_or(0);
                let r = n as f64 / code_in.max(1) as f64;
                ratios.push(r);
                (n.to_string(), format!("{r:.3}"))
            }
            Err(e) if e.is_unsupported() => (format!("unsupported: {e}"), String::new()),
            Err(e) => {
                failed = true;
                (format!("FAILED: {e}"), String::new())
            }
        };
        let (opt_out, opt_ratio) = size(&opt, &mut opt_ratios);
        let (none_out, none_ratio) = size(&none, &mut none_ratios);
        let expected = std::fs::read(expected_dir.join(format!("{name}.expected"))).ok();
        let (verdict, runtime) = match expected {
            None => ("not runnable".to_string(), String::new()),
            Some(expected) => {
                let none_output = match &none {
                    Ok(w) => run_wasi(&engine, w, 1).map(|(output, _)| output),
                    Err(e) => Err(e.to_string()),
                };
                let runs = [&input, &out];
                let results: Vec<_> = runs.iter().map(|w| run_wasi(&engine, w, 5)).collect();
                match (&results[0], &results[1]) {
                    (Ok((a, _)), Ok((b, _)))
                        if *a == expected
                            && *b == expected
                            && none_output.as_ref() != Ok(&expected) =>
                    {
                        failed = true;
                        ("DIFFERENT at opt level none".to_string(), String::new())
                    }
                    (Ok((a, ta)), Ok((b, tb))) if *a == expected && *b == expected => {
                        let r = tb.as_secs_f64() / ta.as_secs_f64();
                        speed.push(r);
                        ("identical".to_string(), format!("{r:.3}"))
                    }
                    (Ok((a, _)), Ok(_)) if *a != expected => {
                        failed = true;
                        ("INPUT differs from .expected".to_string(), String::new())
                    }
                    (Ok(_), Ok(_)) => {
                        failed = true;
                        ("DIFFERENT".to_string(), String::new())
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        failed = true;
                        (format!("ERROR {e}"), String::new())
                    }
                }
            }
        };
        println!(
            "| {name} | {code_in} | {code_out} | {ratio:.3} | {opt_out} | {opt_ratio} | {none_out} | {none_ratio} | {:.0} ms | {verdict} | {runtime} |",
            time.as_secs_f64() * 1e3
        );
    }
    println!(
        "\ngeometric means: code ratio {:.3} ({} modules), with --opt {:.3}, at opt level none {:.3}, runtime out/in {:.3} ({} programs)",
        geomean(&ratios),
        ratios.len(),
        geomean(&opt_ratios),
        geomean(&none_ratios),
        geomean(&speed),
        speed.len()
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
