//! The compilation target: a `wasm32` or `wasm64` triple and what it implies.

use crate::error::{Error, ErrorKind, Result};
use cranelift_codegen::ir::{types, Type};
use target_lexicon::{Architecture, Triple};

/// A resolved wasm target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The triple this target was made from.
    pub triple: Triple,
    /// `true` for `wasm64` (memory64, 64-bit pointers).
    pub memory64: bool,
}

impl Target {
    /// Resolve a triple; only `wasm32-*` and `wasm64-*` are accepted.
    pub fn from_triple(triple: Triple) -> Result<Target> {
        let memory64 = match triple.architecture {
            Architecture::Wasm32 => false,
            Architecture::Wasm64 => true,
            other => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "",
                    format!("unsupported target architecture `{other}`"),
                )
                .with_hint("use a wasm32-* or wasm64-* triple, e.g. wasm32-unknown-unknown"))
            }
        };
        Ok(Target { triple, memory64 })
    }

    /// The default target, `wasm32-unknown-unknown`.
    pub fn wasm32() -> Target {
        Target::from_triple("wasm32-unknown-unknown".parse().expect("valid triple"))
            .expect("wasm32 is a wasm target")
    }

    /// The `wasm64-unknown-unknown` target.
    pub fn wasm64() -> Target {
        Target::from_triple("wasm64-unknown-unknown".parse().expect("valid triple"))
            .expect("wasm64 is a wasm target")
    }

    /// The frontend configuration for `FunctionBuilder::finalize` and friends: wasm's
    /// pointer width, the `fast` calling convention, 64 KiB pages.
    pub fn frontend_config(&self) -> cranelift_codegen::isa::TargetFrontendConfig {
        cranelift_codegen::isa::TargetFrontendConfig {
            default_call_conv: cranelift_codegen::isa::CallConv::Fast,
            pointer_width: if self.memory64 {
                target_lexicon::PointerWidth::U64
            } else {
                target_lexicon::PointerWidth::U32
            },
            page_size_align_log2: 16,
        }
    }

    /// The CLIF type of a pointer into linear memory.
    pub fn pointer_type(&self) -> Type {
        if self.memory64 {
            types::I64
        } else {
            types::I32
        }
    }
}

impl Default for Target {
    fn default() -> Self {
        Target::wasm32()
    }
}
