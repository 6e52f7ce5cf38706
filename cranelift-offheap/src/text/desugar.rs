//! From the extension's text syntax to plain CLIF and module declarations.

use crate::decls::{
    ConstValue, FuncRefs, GlobalDecl, Import, ModuleDecls, SigRefs, TableDecl, GLOBAL_NAMESPACE,
    TABLE_NAMESPACE,
};
use crate::slots::value_slot_key;
use crate::types::{RefType, WasmType};
use cranelift_codegen::ir::{self, immediates::Ieee32, immediates::Ieee64};
use std::fmt;
use std::str::FromStr;

/// A syntax error with its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TextError {}

/// Reference types written in one function's signatures, by entity number.
#[derive(Clone, Debug, Default)]
struct Marks {
    own: SigRefs,
    sigs: Vec<(u32, SigRefs)>,
    fns: Vec<(u32, SigRefs)>,
}

/// Plain CLIF text plus what the sugar declared.
#[derive(Clone, Debug)]
pub struct Desugared {
    /// The plain CLIF text (same line numbers as the input).
    pub text: String,
    /// Globals and tables of the file (function side tables after [`Desugared::resolve`]).
    pub decls: ModuleDecls,
    marks: Vec<Marks>,
}

impl Desugared {
    /// Record the reference types of `functions`, the functions parsed from
    /// [`Desugared::text`] in file order.
    pub fn resolve(&mut self, functions: &[&ir::Function]) {
        for (func, marks) in functions.iter().zip(&self.marks) {
            let mut refs = FuncRefs {
                signature: marks.own.clone(),
                ..FuncRefs::default()
            };
            for (n, sig_refs) in &marks.sigs {
                refs.sigs.insert(ir::SigRef::from_u32(*n), sig_refs.clone());
            }
            for (n, sig_refs) in &marks.fns {
                if let Some(ext) = func.dfg.ext_funcs.get(ir::FuncRef::from_u32(*n)) {
                    refs.sigs.insert(ext.signature, sig_refs.clone());
                }
            }
            let plain = refs.signature.is_plain() && refs.sigs.values().all(SigRefs::is_plain);
            if !plain {
                self.decls.set_func_refs(&func.name.to_string(), refs);
            }
        }
    }
}

/// Parse text in the extension syntax: the declarations and the functions.
pub fn parse(text: &str) -> Result<(ModuleDecls, Vec<ir::Function>), TextError> {
    let mut d = desugar(text)?;
    let functions = cranelift_reader::parse_functions(&d.text).map_err(|e| TextError {
        line: e.location.line_number,
        message: e.message,
    })?;
    d.resolve(&functions.iter().collect::<Vec<_>>());
    Ok((d.decls, functions))
}

/// Split `line` into code and comment (from the first `;`).
fn split_comment(line: &str) -> (&str, &str) {
    match line.find(';') {
        Some(i) => (&line[..i], &line[i..]),
        None => (line, ""),
    }
}

/// Turn the extension syntax in `text` into plain CLIF.
pub fn desugar(text: &str) -> Result<Desugared, TextError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut decls = ModuleDecls::new();
    // File-level declarations first, so functions may use names declared after them.
    let mut in_function = false;
    for (i, line) in lines.iter().enumerate() {
        let (code, _) = split_comment(line);
        let t = code.trim();
        if in_function {
            in_function = t != "}";
            continue;
        }
        if t.starts_with("function") {
            in_function = !t.ends_with('}');
        } else if let Some(rest) = t.strip_prefix("global ") {
            let decl = global_decl(rest).map_err(|m| err(i, m))?;
            decls.declare_global(decl).map_err(|m| err(i, m))?;
        } else if let Some(rest) = t.strip_prefix("table ") {
            let decl = table_decl(rest).map_err(|m| err(i, m))?;
            decls.declare_table(decl).map_err(|m| err(i, m))?;
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut marks: Vec<Marks> = Vec::new();
    in_function = false;
    for (i, line) in lines.iter().enumerate() {
        let (code, comment) = split_comment(line);
        let t = code.trim();
        let plain: String = if in_function {
            in_function = t != "}";
            let current = marks.last_mut().expect("inside a function");
            function_line(code, &decls, current).map_err(|m| err(i, m))?
        } else if t.starts_with("function") {
            in_function = !t.ends_with('}');
            let mut m = Marks::default();
            if let Some(open) = code.find('(') {
                m.own = signature_marks(&code[open..]).map_err(|e| err(i, e))?;
            }
            marks.push(m);
            replace_ref_words(code)
        } else if t.starts_with("global ") || t.starts_with("table ") {
            // Declarations leave an empty line, so line numbers stay the same.
            out.push('\n');
            continue;
        } else {
            code.to_string()
        };
        out.push_str(&plain);
        out.push_str(comment);
        out.push('\n');
    }
    Ok(Desugared {
        text: out,
        decls,
        marks,
    })
}

fn err(line_index: usize, message: impl Into<String>) -> TextError {
    TextError {
        line: line_index + 1,
        message: message.into(),
    }
}

/// One line inside a function body or preamble.
fn function_line(code: &str, decls: &ModuleDecls, marks: &mut Marks) -> Result<String, String> {
    let t = code.trim();
    let indent = &code[..code.len() - code.trim_start().len()];
    let Some((lhs, rhs)) = t.split_once('=') else {
        return Ok(replace_ref_words(code));
    };
    let (lhs, rhs) = (lhs.trim(), rhs.trim());
    let number = |prefix: &str| lhs.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok());
    if let (Some(_), Some(ty)) = (number("ss"), rhs.strip_prefix("value_slot")) {
        let ty = WasmType::from_str(ty.trim()).map_err(|e| format!("value_slot: {e}"))?;
        return Ok(format!(
            "{indent}{lhs} = explicit_slot {}, key = {}",
            ty.size(),
            value_slot_key(ty).bits()
        ));
    }
    if let Some(_gv) = number("gv") {
        if let Some(name) = rhs.strip_prefix("wasm_global") {
            let name = sym_name(name)?;
            let id = decls
                .global_by_name(name)
                .ok_or_else(|| format!("unknown wasm global %{name}"))?;
            return Ok(format!(
                "{indent}{lhs} = symbol colocated u{GLOBAL_NAMESPACE}:{}",
                id.as_u32()
            ));
        }
        if let Some(name) = rhs.strip_prefix("wasm_table") {
            let name = sym_name(name)?;
            let id = decls
                .table_by_name(name)
                .ok_or_else(|| format!("unknown table %{name}"))?;
            return Ok(format!(
                "{indent}{lhs} = symbol colocated u{TABLE_NAMESPACE}:{}",
                id.as_u32()
            ));
        }
    }
    if let Some(n) = number("sig") {
        if rhs.starts_with('(') {
            marks.sigs.push((n, signature_marks(rhs)?));
        }
    }
    if let Some(n) = number("fn") {
        if let Some(open) = rhs.find('(') {
            marks.fns.push((n, signature_marks(&rhs[open..])?));
        }
    }
    Ok(replace_ref_words(code))
}

fn sym_name(text: &str) -> Result<&str, String> {
    let t = text.trim();
    t.strip_prefix('%')
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
        .ok_or_else(|| format!("expected a %name, found `{t}`"))
}

/// Replace the words `externref` and `funcref` (also after a `.`) by `i32`.
pub(crate) fn replace_ref_words(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let before_ok = !out.ends_with('%');
        if before_ok && (word == "externref" || word == "funcref") {
            out.push_str("i32");
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out
}

/// The reference types of a signature written as `(P, ...) [-> R, ...] [callconv]`.
fn signature_marks(text: &str) -> Result<SigRefs, String> {
    let open = text.find('(').ok_or("expected `(`")?;
    let close = text[open..].find(')').ok_or("expected `)`")? + open;
    let params = entries(&text[open + 1..close]);
    let after = text[close + 1..].trim_start();
    let returns = match after.strip_prefix("->") {
        Some(r) => entries(r.split(['{', ';']).next().unwrap_or("")),
        None => Vec::new(),
    };
    Ok(SigRefs { params, returns })
}

fn entries(list: &str) -> Vec<Option<RefType>> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| match e.split_whitespace().next() {
            Some("externref") => Some(RefType::Extern),
            Some("funcref") => Some(RefType::Func),
            _ => None,
        })
        .collect()
}

/// A word of a declaration line, and whether it was quoted.
type Word = (String, bool);

/// Words of a declaration line; quoted strings are one word (without quotes).
fn words(text: &str) -> Result<Vec<Word>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => s.push(c),
                    None => return Err("unterminated string".into()),
                }
            }
            out.push((s, true));
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                s.push(c);
                chars.next();
            }
            out.push((s, false));
        }
    }
    Ok(out)
}

/// `%NAME: TYPE` at the start of a declaration, and the words after it.
fn name_and_type(text: &str) -> Result<(String, String, Vec<Word>), String> {
    let (name, rest) = text.split_once(':').ok_or("expected `%name: type`")?;
    let name = sym_name(name)?.to_string();
    let mut w = words(rest)?.into_iter();
    let ty = w.next().map(|(t, _)| t).ok_or("expected a type")?;
    Ok((name, ty, w.collect()))
}

fn import_export(
    word: &str,
    w: &mut std::vec::IntoIter<Word>,
    import: &mut Option<Import>,
    export: &mut Option<String>,
) -> Result<(), String> {
    let mut string = |what: &str| match w.next() {
        Some((s, true)) => Ok(s),
        _ => Err(format!("expected a quoted {what}")),
    };
    match word {
        "import" => {
            let module = string("module name")?;
            let name = string("field name")?;
            *import = Some(Import { module, name });
        }
        "export" => *export = Some(string("export name")?),
        other => return Err(format!("unexpected `{other}`")),
    }
    Ok(())
}

fn global_decl(text: &str) -> Result<GlobalDecl, String> {
    let (name, ty, rest) = name_and_type(text)?;
    let ty = WasmType::from_str(&ty)?;
    let mut decl = GlobalDecl {
        name,
        ty,
        mutable: false,
        init: None,
        import: None,
        export: None,
    };
    let mut w = rest.into_iter();
    while let Some((word, _)) = w.next() {
        match word.as_str() {
            "mut" => decl.mutable = true,
            "=" => {
                let (value, _) = w.next().ok_or("expected an initial value after `=`")?;
                decl.init = Some(constant(&value, ty)?);
            }
            other => import_export(other, &mut w, &mut decl.import, &mut decl.export)?,
        }
    }
    Ok(decl)
}

fn table_decl(text: &str) -> Result<TableDecl, String> {
    let (name, ty, rest) = name_and_type(text)?;
    let elem = WasmType::from_str(&ty)?
        .ref_type()
        .ok_or_else(|| format!("table elements must be externref or funcref, not {ty}"))?;
    let mut decl = TableDecl {
        name,
        elem,
        min: 0,
        max: None,
        import: None,
        export: None,
    };
    let mut w = rest.into_iter();
    let number = |w: &mut std::vec::IntoIter<Word>, what: &str| -> Result<u64, String> {
        let (n, _) = w
            .next()
            .ok_or_else(|| format!("expected a number after `{what}`"))?;
        n.replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("bad {what} `{n}`"))
    };
    while let Some((word, _)) = w.next() {
        match word.as_str() {
            "min" => decl.min = number(&mut w, "min")?,
            "max" => decl.max = Some(number(&mut w, "max")?),
            other => import_export(other, &mut w, &mut decl.import, &mut decl.export)?,
        }
    }
    Ok(decl)
}

fn constant(text: &str, ty: WasmType) -> Result<ConstValue, String> {
    let bad = || format!("`{text}` is not a {ty} constant");
    let int = |t: &str| -> Option<i128> {
        let t = t.replace('_', "");
        let (neg, t) = match t.strip_prefix('-') {
            Some(r) => (true, r.to_string()),
            None => (false, t),
        };
        let v = match t.strip_prefix("0x") {
            Some(h) => i128::from_str_radix(h, 16).ok()?,
            None => t.parse::<i128>().ok()?,
        };
        Some(if neg { -v } else { v })
    };
    Ok(match ty {
        WasmType::I32 => {
            let v = int(text)
                .filter(|v| *v >= i128::from(i32::MIN) && *v <= i128::from(u32::MAX))
                .ok_or_else(bad)?;
            ConstValue::I32(v as i32)
        }
        WasmType::I64 => {
            let v = int(text)
                .filter(|v| *v >= i128::from(i64::MIN) && *v <= i128::from(u64::MAX))
                .ok_or_else(bad)?;
            ConstValue::I64(v as i64)
        }
        WasmType::F32 => ConstValue::F32(Ieee32::from_str(text).map_err(|_| bad())?.bits()),
        WasmType::F64 => ConstValue::F64(Ieee64::from_str(text).map_err(|_| bad())?.bits()),
        WasmType::ExternRef | WasmType::FuncRef if text == "null" => ConstValue::Null,
        _ => return Err(bad()),
    })
}
