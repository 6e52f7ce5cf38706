//! The text syntax of the extension, over CLIF text.
//!
//! ```text
//! global %counter: i64 mut = 0 export "counter"   ; file level, outside functions
//! global %host: externref mut import "env" "host"
//! table %objs: externref min 4 max 16 export "objs"
//!
//! function %bump(externref) -> i64 {
//!     ss0 = value_slot externref                   ; explicit_slot 4, key = <value-slot tag>
//!     gv0 = wasm_global %counter                   ; symbol colocated u<globals>:<index>
//!     gv1 = wasm_table %objs                       ; symbol colocated u<tables>:<index>
//! block0(v0: externref):
//!     ...
//! ```
//!
//! - `global %NAME: TYPE [mut] [= INIT] [import "MODULE" "NAME"] [export "NAME"]`, where
//!   INIT is an integer, a CLIF float literal, or `null` for references; without INIT and
//!   import the global starts at zero (or null).
//! - `table %NAME: externref|funcref min N [max M] [import "MODULE" "NAME"] [export "NAME"]`.
//! - `externref` and `funcref` may stand wherever a CLIF type may: signatures, block
//!   parameters, and instruction types such as `load.externref`.
//!
//! [`desugar`] turns this into plain CLIF (entity numbers and line numbers kept) plus
//! [`ModuleDecls`]; after cranelift-reader has parsed the plain text,
//! [`Desugared::resolve`] records the reference types of the parsed functions' signatures.
//! [`print`] writes functions and declarations back in this syntax.

mod desugar;
mod print;

pub use desugar::{desugar, parse, Desugared, TextError};
pub use print::{print, print_function};
