//! How the module backend reports errors: everything is a `ModuleError`, and lowering
//! errors name functions by their declared names instead of `u0:N`.

use cranelift_module::ModuleError;
use std::collections::HashMap;

/// A `ModuleError::Backend` with `message`.
pub(super) fn backend(message: impl Into<String>) -> ModuleError {
    ModuleError::Backend(anyhow::Error::msg(message.into()))
}

/// A lowering error as a `ModuleError`, its function named by `names` (`u0:3` → `main`).
pub(super) fn lowering(mut err: crate::Error, names: &HashMap<String, String>) -> ModuleError {
    if let Some(name) = names.get(&err.function) {
        err.function = format!("{name} ({})", err.function);
    }
    ModuleError::Backend(anyhow::Error::new(err))
}
