//! The text layer: CLIF files as the CLI and the runtest harness read them.
//!
//! `target` and `set` lines are dropped before parsing (a wasm backend does not build the
//! ISAs a file names), keeping line numbers, and the line of every instruction is kept so
//! errors can point at `file:line`.

use crate::error::Error;
use cranelift_codegen::ir::{self, entities::AnyEntity};
use cranelift_reader::{parse_test, ParseOptions};
use std::collections::HashMap;

/// Remove `target` and `set` lines, keeping line numbers.
pub fn strip_isa_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        if !(t.starts_with("target ") || t.starts_with("set ")) {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// A parsed CLIF file: its functions and where they came from.
pub struct ParsedFile {
    /// The functions, in file order.
    pub functions: Vec<ir::Function>,
    function_lines: HashMap<String, usize>,
    inst_lines: HashMap<(String, ir::Inst), usize>,
}

/// A parse error with its line.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse a CLIF file.
pub fn parse_file(text: &str) -> Result<ParsedFile, ParseError> {
    let stripped = strip_isa_lines(text);
    let test = parse_test(&stripped, ParseOptions::default()).map_err(|e| ParseError {
        line: e.location.line_number,
        message: e.message,
    })?;
    let mut file = ParsedFile {
        functions: Vec::with_capacity(test.functions.len()),
        function_lines: HashMap::new(),
        inst_lines: HashMap::new(),
    };
    for (func, details) in test.functions {
        let name = func.name.to_string();
        file.function_lines
            .insert(name.clone(), details.location.line_number);
        for block in func.layout.blocks() {
            for inst in func.layout.block_insts(block) {
                if let Some(loc) = details.map.location(AnyEntity::Inst(inst)) {
                    file.inst_lines
                        .insert((name.clone(), inst), loc.line_number);
                }
            }
        }
        file.functions.push(func);
    }
    Ok(file)
}

impl ParsedFile {
    /// The source line an error points at: its instruction's, else its function's.
    pub fn line_of(&self, err: &Error) -> Option<usize> {
        err.inst
            .and_then(|inst| self.inst_lines.get(&(err.function.clone(), inst)).copied())
            .or_else(|| self.function_lines.get(&err.function).copied())
    }
}
