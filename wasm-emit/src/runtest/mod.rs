//! Runs Cranelift runtest files (`; run:` lines) against modules emitted by this backend,
//! in wasmtime, comparing results bitwise as cranelift-reader's `RunCommand` does.
//!
//! Each run line is attached to the function it follows and invokes that function, as
//! Cranelift's own `test run` does (the name in the line is not looked up). All supported
//! functions of a file go into one module; every run line gets a fresh instance.
//! A function whose features are outside the backend (i128, vectors, atomics, f16/f128,
//! try_call, dynamic stack slots), or that calls such a function, makes its run lines
//! "unsupported"; any other problem is a failure.

mod exec;

use crate::error::{ErrorKind, Feature};
use crate::{check, compile_module, Options};
use cranelift_codegen::ir;
use cranelift_offheap::ModuleDecls;
use cranelift_reader::{parse_run_command, parse_test, ParseOptions, RunCommand};
use std::collections::{HashMap, HashSet, VecDeque};

pub use exec::{from_val as exec_data_value, to_val as exec_val, Executor};

/// The outcome of one run line.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// The result matched.
    Passed,
    /// Wrong result, trap, or an error lowering or running the function.
    Failed(String),
    /// The function uses a feature outside the backend.
    Unsupported(Feature),
}

/// One run line and its outcome.
#[derive(Clone, Debug)]
pub struct RunLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// The function the line belongs to, as `%name`.
    pub function: String,
    /// What happened.
    pub status: Status,
}

/// The outcome of a whole file.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    /// Every run line of the file.
    pub lines: Vec<RunLine>,
}

impl FileReport {
    /// A report in which every run line of `text` failed with `message`.
    pub fn all_failed(text: &str, message: &str) -> FileReport {
        let mut report = FileReport::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("; run") {
                report.lines.push(RunLine {
                    line: i + 1,
                    function: String::new(),
                    status: Status::Failed(message.to_string()),
                });
            }
        }
        report
    }

    /// (passed, failed, unsupported) counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for l in &self.lines {
            match l.status {
                Status::Passed => c.0 += 1,
                Status::Failed(_) => c.1 += 1,
                Status::Unsupported(_) => c.2 += 1,
            }
        }
        c
    }
}

/// Whether a feature is one a run line may legitimately be "unsupported" for.
pub fn is_excused(feature: Feature) -> bool {
    !matches!(feature, Feature::Other(_))
}

/// Line numbers of every run comment, by its text, in file order.
fn run_line_numbers(text: &str) -> HashMap<&str, VecDeque<usize>> {
    let mut map: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with(';') {
            map.entry(t).or_default().push_back(i + 1);
        }
    }
    map
}

/// Run every run line of the CLIF file `text`, compiled with `options` (its target and
/// opt level; functions are always exported).
pub fn run_file(exec: &Executor, text: &str, options: &Options) -> FileReport {
    if let Err(e) = crate::text::check_entity_numbers(text) {
        return FileReport::all_failed(text, &format!("line {}: {}", e.line, e.message));
    }
    let stripped = crate::text::strip_isa_lines(text);
    let mut report = FileReport::default();
    let mut desugared = match cranelift_offheap::text::desugar(&stripped) {
        Ok(d) => d,
        Err(e) => return FileReport::all_failed(text, &format!("{e}")),
    };
    let stripped = std::mem::take(&mut desugared.text);
    let test = match parse_test(&stripped, ParseOptions::default()) {
        Ok(test) => test,
        Err(e) => {
            // Without a parse we cannot attach lines to functions: every run line fails.
            return FileReport::all_failed(text, &format!("parse error: {e}"));
        }
    };
    let mut lines = run_line_numbers(&stripped);
    // Collect the run commands of each function.
    let mut commands: Vec<Vec<(usize, Result<RunCommand, String>)>> = Vec::new();
    for (func, details) in &test.functions {
        let mut cmds = Vec::new();
        for comment in &details.comments {
            let parsed = match parse_run_command(comment.text, &func.signature) {
                Ok(Some(cmd)) => Ok(cmd),
                Ok(None) => continue,
                Err(e) => Err(format!("bad run line: {e}")),
            };
            let line = lines
                .get_mut(comment.text.trim())
                .and_then(|q| q.pop_front())
                .unwrap_or(details.location.line_number);
            cmds.push((line, parsed));
        }
        commands.push(cmds);
    }

    let options = Options {
        export_functions: true,
        ..options.clone()
    };
    let funcs: Vec<&ir::Function> = test.functions.iter().map(|(f, _)| f).collect();
    desugared.resolve(&funcs);
    let (excluded, bytes) = compile_supported(&funcs, &desugared.decls, &options);
    let module = bytes.map(|bytes| exec.load(&bytes));

    for (i, func) in funcs.iter().enumerate() {
        let name = func.name.to_string();
        for (line, cmd) in &commands[i] {
            let status = match (excluded.get(&i), cmd, &module) {
                (Some(status), _, _) => status.clone(),
                (None, Err(e), _) => Status::Failed(e.clone()),
                (None, Ok(_), Err(e)) | (None, Ok(_), Ok(Err(e))) => Status::Failed(e.clone()),
                (None, Ok(cmd), Ok(Ok(module))) => {
                    let export = crate::export_name(&func.name);
                    match cmd.run(|_, args| exec.invoke(module, &export, &func.signature, args)) {
                        Ok(()) => Status::Passed,
                        Err(e) => Status::Failed(e),
                    }
                }
            };
            report.lines.push(RunLine {
                line: *line,
                function: name.clone(),
                status,
            });
        }
    }
    report.lines.sort_by_key(|l| l.line);
    report
}

/// Compile the functions that can be compiled. Returns the status of each excluded function
/// (by index) and the module of the rest, or the error that stopped it.
fn compile_supported(
    funcs: &[&ir::Function],
    decls: &ModuleDecls,
    options: &Options,
) -> (HashMap<usize, Status>, Result<Vec<u8>, String>) {
    let mut excluded: HashMap<usize, Status> = HashMap::new();
    for (i, func) in funcs.iter().enumerate() {
        if let Err(e) = check(func, decls, options) {
            excluded.insert(i, status_of(&e));
        }
    }
    loop {
        // A function calling an excluded function of the file is excluded too.
        loop {
            let names: HashSet<String> = excluded
                .keys()
                .map(|&i| funcs[i].name.to_string())
                .collect();
            let mut changed = false;
            for (i, func) in funcs.iter().enumerate() {
                if excluded.contains_key(&i) {
                    continue;
                }
                for (func_ref, _) in crate::isel::declared_callees(func) {
                    let key = crate::isel::callee_key(func, func_ref);
                    if names.contains(&key) {
                        let callee = funcs.iter().position(|f| f.name.to_string() == key);
                        let status = callee
                            .and_then(|c| excluded.get(&c).cloned())
                            .unwrap_or(Status::Failed(format!("calls {key}")));
                        excluded.insert(i, status);
                        changed = true;
                        break;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let included: Vec<ir::Function> = funcs
            .iter()
            .enumerate()
            .filter(|(i, _)| !excluded.contains_key(i))
            .map(|(_, f)| (*f).clone())
            .collect();
        match compile_module(&included, decls, options) {
            Ok(bytes) => return (excluded, Ok(bytes)),
            Err(e) => {
                // Exclude the function the error names and try again without it.
                let culprit = funcs.iter().enumerate().position(|(i, f)| {
                    !excluded.contains_key(&i) && f.name.to_string() == e.function
                });
                match culprit {
                    Some(i) => {
                        excluded.insert(i, status_of(&e));
                    }
                    None => return (excluded, Err(e.to_string())),
                }
            }
        }
    }
}

fn status_of(e: &crate::Error) -> Status {
    match e.kind {
        ErrorKind::Unsupported(f) if is_excused(f) => Status::Unsupported(f),
        _ => Status::Failed(e.to_string()),
    }
}
