//! The module-wide index spaces that function lowering draws from: function types,
//! functions (imports, then definitions, then runtime helpers), the function table, globals,
//! and the wasm features the module ends up needing.

use crate::error::{Error, ErrorKind, Result};
use crate::runtime::Helper;
use crate::target::Target;
use crate::types::val_type;
use cranelift_codegen::ir;
use std::collections::HashMap;
use wasm_encoder::ValType;

/// A function signature in wasm terms.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WasmSig {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl WasmSig {
    /// The wasm signature of a CLIF signature.
    pub fn of(sig: &ir::Signature) -> WasmSig {
        WasmSig {
            params: sig.params.iter().map(|p| val_type(p.value_type)).collect(),
            results: sig.returns.iter().map(|p| val_type(p.value_type)).collect(),
        }
    }
}

/// A function import.
#[derive(Clone, Debug)]
pub struct FuncImport {
    /// Import module name.
    pub module: String,
    /// Import field name.
    pub name: String,
    /// Type index.
    pub type_index: u32,
}

/// A defined global.
#[derive(Clone, Debug)]
pub struct GlobalDef {
    /// Name for the name section.
    pub name: String,
    /// Value type.
    pub ty: ValType,
    /// Initial value (integers only, for now).
    pub init: i64,
}

/// What a callee name resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A wasm function index.
    Func(u32),
    /// A runtime helper (lowered on demand).
    Helper(Helper),
}

/// Index spaces of the module being built.
pub struct ModuleEnv {
    /// The target.
    pub target: Target,
    types: HashMap<WasmSig, u32>,
    /// Function types, by type index.
    pub type_list: Vec<WasmSig>,
    /// Function imports (function indices `0..imports.len()`).
    pub imports: Vec<FuncImport>,
    /// Function index by CLIF name (`%name` or `uN:M`).
    by_name: HashMap<String, u32>,
    /// Type index of every defined function, in index order.
    pub defined_types: Vec<u32>,
    /// Runtime helpers, in index order after the defined functions.
    pub helpers: Vec<Helper>,
    helper_index: HashMap<Helper, u32>,
    /// Function indices in the table; slot 0 stays null so a null function pointer traps.
    pub table: Vec<u32>,
    table_slot: HashMap<u32, u32>,
    /// Defined globals, in index order.
    pub globals: Vec<GlobalDef>,
    stack_pointer: Option<u32>,
    pinned_reg: Option<u32>,
    /// Whether any function touches linear memory.
    pub uses_memory: bool,
    /// Whether any function makes a tail call.
    pub uses_tail_calls: bool,
    /// Whether any function uses the function table.
    pub uses_table: bool,
    /// Initial stack pointer (top of the shadow stack).
    pub stack_top: u64,
}

impl ModuleEnv {
    /// An empty environment for `target`.
    pub fn new(target: Target, stack_top: u64) -> ModuleEnv {
        ModuleEnv {
            target,
            types: HashMap::new(),
            type_list: Vec::new(),
            imports: Vec::new(),
            by_name: HashMap::new(),
            defined_types: Vec::new(),
            helpers: Vec::new(),
            helper_index: HashMap::new(),
            table: Vec::new(),
            table_slot: HashMap::new(),
            globals: Vec::new(),
            stack_pointer: None,
            pinned_reg: None,
            uses_memory: false,
            uses_tail_calls: false,
            uses_table: false,
            stack_top,
        }
    }

    /// The type index of `sig`, interned.
    pub fn type_index(&mut self, sig: WasmSig) -> u32 {
        if let Some(&index) = self.types.get(&sig) {
            return index;
        }
        let index = self.type_list.len() as u32;
        self.type_list.push(sig.clone());
        self.types.insert(sig, index);
        index
    }

    /// Declare a function import; all imports must be declared before any definition.
    pub fn import(&mut self, key: String, module: &str, name: &str, sig: WasmSig) -> u32 {
        debug_assert!(self.defined_types.is_empty());
        let type_index = self.type_index(sig);
        let index = self.imports.len() as u32;
        self.imports.push(FuncImport {
            module: module.to_string(),
            name: name.to_string(),
            type_index,
        });
        self.by_name.insert(key, index);
        index
    }

    /// Declare a defined function under its CLIF name.
    pub fn define(&mut self, key: String, sig: WasmSig) -> Result<u32> {
        let type_index = self.type_index(sig);
        let index = self.imports.len() as u32 + self.defined_types.len() as u32;
        if self.by_name.insert(key.clone(), index).is_some() {
            return Err(Error::new(
                ErrorKind::Invalid,
                key,
                "a function with this name is already defined in the module",
            )
            .with_hint("give every function a unique name"));
        }
        self.defined_types.push(type_index);
        Ok(index)
    }

    /// The function index of a CLIF name, if it is imported or defined.
    pub fn lookup(&self, key: &str) -> Option<u32> {
        self.by_name.get(key).copied()
    }

    /// The type index of function `index`.
    pub fn func_type(&self, index: u32) -> u32 {
        let imports = self.imports.len() as u32;
        if index < imports {
            return self.imports[index as usize].type_index;
        }
        let defined = index - imports;
        match self.defined_types.get(defined as usize) {
            Some(&t) => t,
            None => self.helper_type(self.helpers[(defined as usize) - self.defined_types.len()]),
        }
    }

    fn helper_type(&self, helper: Helper) -> u32 {
        let sig = helper.wasm_sig();
        self.types.get(&sig).copied().unwrap_or(0)
    }

    /// The function index of a runtime helper, added on first request.
    pub fn helper(&mut self, helper: Helper) -> u32 {
        if let Some(&index) = self.helper_index.get(&helper) {
            return index;
        }
        self.type_index(helper.wasm_sig());
        let index =
            self.imports.len() as u32 + self.defined_types.len() as u32 + self.helpers.len() as u32;
        self.helpers.push(helper);
        self.helper_index.insert(helper, index);
        index
    }

    /// The function index a callee resolves to.
    pub fn callee(&mut self, callee: Callee) -> u32 {
        match callee {
            Callee::Func(index) => index,
            Callee::Helper(helper) => self.helper(helper),
        }
    }

    /// The table slot of function `index`, added on first request (slots start at 1).
    pub fn table_slot(&mut self, index: u32) -> u32 {
        if let Some(&slot) = self.table_slot.get(&index) {
            return slot;
        }
        self.table.push(index);
        let slot = self.table.len() as u32;
        self.table_slot.insert(index, slot);
        slot
    }

    fn pointer_global(&mut self, name: &str) -> u32 {
        let index = self.globals.len() as u32;
        let ty = val_type(self.target.pointer_type());
        self.globals.push(GlobalDef {
            name: name.to_string(),
            ty,
            init: 0,
        });
        index
    }

    /// The `__stack_pointer` global, created on first request.
    pub fn stack_pointer(&mut self) -> u32 {
        self.uses_memory = true;
        if let Some(index) = self.stack_pointer {
            return index;
        }
        let index = self.pointer_global("__stack_pointer");
        self.globals[index as usize].init = self.stack_top as i64;
        self.stack_pointer = Some(index);
        index
    }

    /// The global that stands for Cranelift's pinned register, created on first request.
    pub fn pinned_reg(&mut self, ty: ValType) -> u32 {
        if let Some(index) = self.pinned_reg {
            return index;
        }
        let index = self.globals.len() as u32;
        self.globals.push(GlobalDef {
            name: "__pinned_reg".to_string(),
            ty,
            init: 0,
        });
        self.pinned_reg = Some(index);
        index
    }
}
