//! The `TargetIsa` that `Module::isa` returns.
//!
//! `Module::isa` must return a `&dyn TargetIsa`, and Cranelift 0.135 allows no
//! implementation outside its own crate (the compile result type is private). A native ISA
//! would give clients the host's pointer width, and a wasm triple has no ISA (its default
//! calling convention is `unimplemented!`). Cranelift's Pulley ISA comes in both pointer
//! widths, with 64 KiB pages like wasm: pulley32 stands in for wasm32, pulley64 for wasm64.

use super::error::backend;
use crate::Target;
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings;
use cranelift_module::ModuleResult;

/// The Pulley ISA with the pointer width of `target`.
pub(super) fn pulley_isa(target: &Target) -> ModuleResult<OwnedTargetIsa> {
    let name = if target.memory64 {
        "pulley64-unknown-unknown"
    } else {
        "pulley32-unknown-unknown"
    };
    let triple = name
        .parse()
        .map_err(|e| backend(format!("parsing `{name}`: {e}")))?;
    let builder =
        isa::lookup(triple).map_err(|e| backend(format!("no Pulley ISA in Cranelift: {e}")))?;
    builder
        .finish(settings::Flags::new(settings::builder()))
        .map_err(cranelift_module::ModuleError::Compilation)
}
