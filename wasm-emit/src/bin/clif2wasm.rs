//! `clif2wasm`: compile CLIF files to wasm, and run Cranelift runtest files in wasmtime.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasm_emit::runtest::{self, Executor, Status};
use wasm_emit::{OptLevel, Options, Target};

#[derive(Parser)]
#[command(name = "clif2wasm", version, about = "Cranelift IR to WebAssembly")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum TargetArg {
    Wasm32,
    Wasm64,
}

impl TargetArg {
    fn target(self) -> Target {
        match self {
            TargetArg::Wasm32 => Target::wasm32(),
            TargetArg::Wasm64 => Target::wasm64(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Compile every function of a CLIF file into one wasm module.
    Compile {
        /// The CLIF file.
        input: PathBuf,
        /// Output path (default: the input with .wasm or .wat); `-` for stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Target pointer width.
        #[arg(long, value_enum, default_value = "wasm32")]
        target: TargetArg,
        /// Write the text format instead of the binary.
        #[arg(long)]
        wat: bool,
        /// `speed` shares locals between values (coloring); `none` lowers fastest.
        #[arg(long, default_value = "speed")]
        opt_level: OptLevel,
    },
    /// Run the `; run:` lines of CLIF files in wasmtime.
    Run {
        /// CLIF files, or directories to search for them.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Target pointer width.
        #[arg(long, value_enum, default_value = "wasm32")]
        target: TargetArg,
        /// Also list every run line with its status (passed/failed/unsupported) here.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Print only failures and the summary line.
        #[arg(short, long)]
        quiet: bool,
        /// `speed` shares locals between values (coloring); `none` lowers fastest.
        #[arg(long, default_value = "speed")]
        opt_level: OptLevel,
    },
    /// Round-trip a wasm module through Cranelift and back:
    /// `clif2wasm roundtrip IN.wasm -o OUT.wasm [--opt] [--stats]`.
    ///
    /// Runs `clif2wasm-roundtrip` (package `wasm-roundtrip`) from beside this program or
    /// from PATH, so that this crate never depends on the Cranelift 0.112 wasm front end.
    #[command(disable_help_flag = true)]
    Roundtrip {
        /// Arguments for clif2wasm-roundtrip (`--help` lists them).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

fn main() -> ExitCode {
    // A bug must not reach the user as a panic message and backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in clif2wasm: {info}");
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Compile {
            input,
            output,
            target,
            wat,
            opt_level,
        } => compile(&input, output, options(target, opt_level), wat),
        Command::Run {
            files,
            target,
            report,
            quiet,
            opt_level,
        } => run(&files, &options(target, opt_level), report, quiet),
        Command::Roundtrip { args } => roundtrip(&args),
    });
    match result {
        Ok(Ok(code)) => code,
        Ok(Err(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(1),
    }
}

/// Run the external `clif2wasm-roundtrip` with `args`, passing its exit code on.
fn roundtrip(args: &[std::ffi::OsString]) -> Result<ExitCode, String> {
    const TOOL: &str = "clif2wasm-roundtrip";
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(TOOL)))
        .filter(|p| p.exists());
    let program = beside.unwrap_or_else(|| PathBuf::from(TOOL));
    let status = std::process::Command::new(&program)
        .args(args)
        .status()
        .map_err(|e| {
            format!(
                "cannot run {}: {e}; build it with `cargo build --release -p wasm-roundtrip`",
                program.display()
            )
        })?;
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

/// The lowering options of the command line.
fn options(target: TargetArg, opt_level: OptLevel) -> Options {
    Options {
        target: target.target(),
        opt_level,
        ..Options::default()
    }
}

fn compile(
    input: &Path,
    output: Option<PathBuf>,
    options: Options,
    wat: bool,
) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| format!("{}: cannot read: {e}", input.display()))?;
    let file = wasm_emit::text::parse_file(&text)
        .map_err(|e| format!("{}:{}: {}", input.display(), e.line, e.message))?;
    if file.functions.is_empty() {
        return Err(format!("{}: no functions to compile", input.display()));
    }
    let at = |e: &wasm_emit::Error| match file.line_of(e) {
        Some(line) => format!("{}:{line}: {e}", input.display()),
        None => format!("{}: {e}", input.display()),
    };
    // Every off-heap violation of every function, not just the first.
    let violations: Vec<String> = file
        .functions
        .iter()
        .flat_map(|f| wasm_emit::offheap_errors(f, &file.decls))
        .map(|e| at(&e))
        .collect();
    if let Some((last, rest)) = violations.split_last() {
        for v in rest {
            eprintln!("error: {v}");
        }
        return Err(last.clone());
    }
    let bytes =
        wasm_emit::compile_module(&file.functions, &file.decls, &options).map_err(|e| at(&e))?;
    let out: Vec<u8> = if wat {
        let mut text =
            wasmprinter::print_bytes(&bytes).map_err(|e| format!("printing wat: {e}"))?;
        text.push('\n');
        text.into_bytes()
    } else {
        bytes
    };
    let path = output.unwrap_or_else(|| input.with_extension(if wat { "wat" } else { "wasm" }));
    if path.as_os_str() == "-" {
        std::io::stdout()
            .write_all(&out)
            .map_err(|e| format!("writing to stdout: {e}"))?;
    } else {
        std::fs::write(&path, &out)
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run(
    files: &[PathBuf],
    options: &Options,
    report: Option<PathBuf>,
    quiet: bool,
) -> Result<ExitCode, String> {
    let exec = Executor::new().map_err(|e| format!("cannot start wasmtime: {e}"))?;
    let files = clif_files(files)?;
    let (mut passed, mut failed, mut unsupported) = (0, 0, 0);
    let mut listing = String::new();
    for path in &files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let file_report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtest::run_file(&exec, &text, options)
        }))
        .unwrap_or_else(|_| runtest::FileReport::all_failed(&text, "internal error (panic)"));
        let (p, f, u) = file_report.counts();
        passed += p;
        failed += f;
        unsupported += u;
        for line in &file_report.lines {
            let status = match &line.status {
                Status::Passed => "passed".to_string(),
                Status::Failed(message) => {
                    println!(
                        "{}:{}: {}: {message}",
                        path.display(),
                        line.line,
                        line.function
                    );
                    "failed".to_string()
                }
                Status::Unsupported(feature) => format!("unsupported ({})", feature.name()),
            };
            listing.push_str(&format!("{}:{} {status}\n", path.display(), line.line));
        }
        if !quiet {
            eprintln!(
                "{}: {p} passed, {f} failed, {u} unsupported",
                path.display()
            );
        }
    }
    if let Some(report) = report {
        std::fs::write(&report, listing)
            .map_err(|e| format!("{}: cannot write: {e}", report.display()))?;
    }
    println!("{passed} passed, {failed} failed, {unsupported} unsupported");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The given files, with directories replaced by the `.clif` files below them (sorted).
fn clif_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            collect_clif(path, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn collect_clif(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            collect_clif(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "clif") {
            out.push(path);
        }
    }
    Ok(())
}
