//! [`WasmBuilder`]: the target and module-wide options of a [`super::WasmModule`].

use super::error::backend;
use super::isa::pulley_isa;
use crate::{OptLevel, Target};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_module::ModuleResult;
use wasmparser::WasmFeatures;

/// Where the linear memory comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryMode {
    /// Defined by the module and exported under this name (default: `"memory"`).
    Export(String),
    /// Imported from `module`.`name`.
    Import {
        /// Import module.
        module: String,
        /// Import field.
        name: String,
    },
}

/// The options of a [`super::WasmModule`], as `ObjectBuilder` is for cranelift-object.
pub struct WasmBuilder {
    pub(super) target: Target,
    pub(super) isa: OwnedTargetIsa,
    pub(super) memory: MemoryMode,
    pub(super) min_pages: u64,
    pub(super) max_pages: Option<u64>,
    pub(super) stack_size: u64,
    pub(super) import_module: String,
    pub(super) features: Option<WasmFeatures>,
    pub(super) verify: bool,
    pub(super) validate: bool,
    pub(super) opt_level: OptLevel,
    pub(super) local_names: bool,
}

impl WasmBuilder {
    /// A builder for `triple`, which must be `wasm32-*` or `wasm64-*`. Defaults: memory
    /// exported as `"memory"` and sized for the shadow stack and data, 1 MiB shadow stack,
    /// imports from `"env"`, any wasm feature the code needs, IR verified and module
    /// validated.
    pub fn new(triple: target_lexicon::Triple) -> ModuleResult<WasmBuilder> {
        let target = Target::from_triple(triple).map_err(|e| backend(e.to_string()))?;
        let isa = pulley_isa(&target)?;
        Ok(WasmBuilder {
            target,
            isa,
            memory: MemoryMode::Export("memory".to_string()),
            min_pages: 0,
            max_pages: None,
            stack_size: 1 << 20,
            import_module: "env".to_string(),
            features: None,
            verify: true,
            validate: true,
            opt_level: OptLevel::default(),
            local_names: true,
        })
    }

    /// Define and export the memory, or import it.
    pub fn memory(&mut self, mode: MemoryMode) -> &mut Self {
        self.memory = mode;
        self
    }

    /// Memory size in 64 KiB pages: at least `min` (more if the stack and data need it),
    /// at most `max` (emitting fails if they do not fit).
    pub fn memory_pages(&mut self, min: u64, max: Option<u64>) -> &mut Self {
        self.min_pages = min;
        self.max_pages = max;
        self
    }

    /// Shadow-stack size in bytes, at the bottom of memory (default: 1 MiB).
    pub fn stack_size(&mut self, bytes: u64) -> &mut Self {
        self.stack_size = bytes;
        self
    }

    /// The module name imported functions come from (default: `"env"`).
    pub fn import_module(&mut self, name: impl Into<String>) -> &mut Self {
        self.import_module = name.into();
        self
    }

    /// The wasm features the module may use; emitting fails if it needs others.
    pub fn features(&mut self, features: WasmFeatures) -> &mut Self {
        self.features = Some(features);
        self
    }

    /// Run Cranelift's IR verifier in `define_function` (default: true).
    pub fn verify(&mut self, on: bool) -> &mut Self {
        self.verify = on;
        self
    }

    /// Validate the emitted module with wasmparser (default: true).
    pub fn validate(&mut self, on: bool) -> &mut Self {
        self.validate = on;
        self
    }

    /// How much lowering spends on the emitted code (default: [`OptLevel::Speed`];
    /// [`OptLevel::None`] lowers fastest, for a JIT's first tier).
    pub fn opt_level(&mut self, level: OptLevel) -> &mut Self {
        self.opt_level = level;
        self
    }

    /// Name the locals after the CLIF values and slots they hold (default: true; see
    /// `Options::local_names`).
    pub fn local_names(&mut self, on: bool) -> &mut Self {
        self.local_names = on;
        self
    }

    /// The wasm target.
    pub fn target(&self) -> &Target {
        &self.target
    }
}
