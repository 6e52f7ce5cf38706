//! The text layer: CLIF files as the CLI and the runtest harness read them.
//!
//! `target` and `set` lines are dropped before parsing (a wasm backend does not build the
//! ISAs a file names), keeping line numbers; the off-heap syntax (`global`, `table`,
//! `value_slot`, `wasm_global`, `externref`, ...) is desugared by `cranelift_offheap::text`;
//! and the line of every instruction is kept so errors can point at `file:line`.

use crate::error::Error;
use cranelift_codegen::ir::{self, entities::AnyEntity};
use cranelift_offheap::text::desugar;
use cranelift_offheap::ModuleDecls;
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

/// A parsed CLIF file: its functions, its off-heap declarations, and where things came
/// from.
pub struct ParsedFile {
    /// The functions, in file order.
    pub functions: Vec<ir::Function>,
    /// Wasm globals, tables and reference-typed signatures declared in the file.
    pub decls: ModuleDecls,
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

/// The largest entity number (`v`, `block`, `ss`, `fn`, ...) accepted in text. The reader
/// allocates every number below the largest one used, so `v999999999` alone would take
/// gigabytes; such input is rejected up front.
pub const MAX_ENTITY_NUMBER: u64 = 10_000_000;

/// Reject entity references whose number exceeds [`MAX_ENTITY_NUMBER`].
pub fn check_entity_numbers(text: &str) -> Result<(), ParseError> {
    const PREFIXES: [&str; 10] = [
        "v", "block", "ss", "dss", "gv", "fn", "sig", "jt", "dt", "const",
    ];
    for (i, line) in text.lines().enumerate() {
        let code = line.split(';').next().unwrap_or("");
        let bytes = code.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            if !bytes[pos].is_ascii_alphabetic()
                || (pos > 0 && bytes[pos - 1].is_ascii_alphanumeric())
            {
                pos += 1;
                continue;
            }
            let start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
                pos += 1;
            }
            let digits = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            let is_entity = PREFIXES.contains(&&code[start..digits]) && pos > digits;
            let ends_word = pos == bytes.len() || !bytes[pos].is_ascii_alphanumeric();
            if is_entity && ends_word {
                let too_big = code[digits..pos]
                    .parse::<u64>()
                    .map_or(true, |n| n > MAX_ENTITY_NUMBER);
                if too_big {
                    return Err(ParseError {
                        line: i + 1,
                        message: format!(
                            "entity number in `{}` exceeds the limit of {MAX_ENTITY_NUMBER}",
                            &code[start..pos]
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Parse a CLIF file.
pub fn parse_file(text: &str) -> Result<ParsedFile, ParseError> {
    check_entity_numbers(text)?;
    let mut desugared = desugar(&strip_isa_lines(text)).map_err(|e| ParseError {
        line: e.line,
        message: e.message,
    })?;
    let plain = std::mem::take(&mut desugared.text);
    let test = parse_test(&plain, ParseOptions::default()).map_err(|e| ParseError {
        line: e.location.line_number,
        message: e.message,
    })?;
    desugared.resolve(&test.functions.iter().map(|(f, _)| f).collect::<Vec<_>>());
    let mut file = ParsedFile {
        decls: desugared.decls.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_entity_numbers_are_rejected_before_parsing() {
        let err = parse_file("function %f() -> i32 {\nblock0:\n    v999999999 = iconst.i32 1\n    return v999999999\n}").err().unwrap();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("v999999999"));
        // Ordinary numbers and lookalike words pass.
        let ok = parse_file("function %f() -> i64 {\nblock0:\n    v123 = iconst.i64 10000000000\n    return v123\n}");
        assert!(ok.is_ok());
    }
}
