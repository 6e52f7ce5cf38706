//! Code generation through `cranelift_module::Module` only: the same code serves
//! cranelift-jit and wasm-emit's `WasmModule`. Pointer arithmetic uses the module's
//! `target_config().pointer_type()`, so one program runs on 64-bit hosts and on wasm32.

use crate::syntax::{BinOp, Expr, Item, Program, Stmt};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, FuncRef, GlobalValue, InstBuilder, MemFlagsData, Signature, Type, Value,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use std::collections::HashMap;

/// What a top-level name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A function (defined or extern) and its arity.
    Func(FuncId, usize),
    /// A writable i64 global.
    Var(DataId),
    /// Bytes: indexing loads a byte.
    Bytes(DataId),
    /// Pointers (a table or a pointer object): indexing loads a pointer.
    Pointers(DataId),
}

/// The module-level names of a compiled program.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Every top-level name.
    pub symbols: HashMap<String, Symbol>,
    /// The `var`s, in source order.
    pub vars: Vec<(String, DataId)>,
}

fn signature<M: Module>(module: &M, arity: usize) -> Signature {
    let mut sig = module.make_signature();
    sig.params
        .extend((0..arity).map(|_| AbiParam::new(types::I64)));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Declare and define everything in `program` in `module`.
pub fn compile<M: Module>(module: &mut M, program: &Program) -> Result<Compiled, String> {
    let mut out = Compiled::default();
    for item in &program.items {
        let (name, symbol) = match item {
            Item::Extern { name, arity } => {
                let sig = signature(module, *arity);
                let id = module
                    .declare_function(name, Linkage::Import, &sig)
                    .map_err(err)?;
                (name, Symbol::Func(id, *arity))
            }
            Item::Func { name, params, .. } => {
                let sig = signature(module, params.len());
                let id = module
                    .declare_function(name, Linkage::Export, &sig)
                    .map_err(err)?;
                (name, Symbol::Func(id, params.len()))
            }
            Item::Var { name, .. } => {
                let id = module
                    .declare_data(name, Linkage::Export, true, false)
                    .map_err(err)?;
                out.vars.push((name.clone(), id));
                (name, Symbol::Var(id))
            }
            Item::Str { name, .. } => {
                let id = module
                    .declare_data(name, Linkage::Local, false, false)
                    .map_err(err)?;
                (name, Symbol::Bytes(id))
            }
            Item::Table { name, .. } | Item::Pointer { name, .. } => {
                let id = module
                    .declare_data(name, Linkage::Local, false, false)
                    .map_err(err)?;
                (name, Symbol::Pointers(id))
            }
        };
        if out.symbols.insert(name.clone(), symbol).is_some() {
            return Err(format!("`{name}` is defined twice"));
        }
    }
    for item in &program.items {
        define_data(module, &out.symbols, item)?;
    }
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = module.make_context();
    for item in &program.items {
        let Item::Func { name, params, body } = item else {
            continue;
        };
        let Some(&Symbol::Func(id, _)) = out.symbols.get(name) else {
            unreachable!("declared above");
        };
        ctx.func.signature = signature(module, params.len());
        let ptr = module_pointer(module);
        let gen = FuncGen {
            module,
            symbols: &out.symbols,
            b: FunctionBuilder::new(&mut ctx.func, &mut fctx),
            vars: HashMap::new(),
            funcs: HashMap::new(),
            data: HashMap::new(),
            ptr,
        };
        gen.function(params, body)
            .map_err(|e| format!("in `{name}`: {e}"))?;
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("defining `{name}`: {e}"))?;
        module.clear_context(&mut ctx);
    }
    Ok(out)
}

fn module_pointer<M: Module>(module: &M) -> Type {
    module.target_config().pointer_type()
}

fn define_data<M: Module>(
    module: &mut M,
    symbols: &HashMap<String, Symbol>,
    item: &Item,
) -> Result<(), String> {
    let ptr_bytes = module.target_config().pointer_bytes() as usize;
    let mut desc = DataDescription::new();
    let (name, id) = match item {
        Item::Var { name, init } => {
            if *init == 0 {
                desc.define_zeroinit(8);
            } else {
                desc.define(init.to_le_bytes().into());
            }
            desc.set_align(8);
            (name, symbols[name])
        }
        Item::Str { name, text } => {
            let mut bytes = text.as_bytes().to_vec();
            bytes.push(0);
            desc.define(bytes.into());
            (name, symbols[name])
        }
        Item::Table { name, funcs } => {
            desc.define_zeroinit(funcs.len() * ptr_bytes);
            desc.set_align(ptr_bytes as u64);
            for (i, f) in funcs.iter().enumerate() {
                let Some(&Symbol::Func(fid, _)) = symbols.get(f) else {
                    return Err(format!("table `{name}`: `{f}` is not a function"));
                };
                let fref = module.declare_func_in_data(fid, &mut desc);
                desc.write_function_addr((i * ptr_bytes) as u32, fref);
            }
            (name, symbols[name])
        }
        Item::Pointer {
            name,
            target,
            addend,
        } => {
            let target_id = match symbols.get(target) {
                Some(Symbol::Var(d) | Symbol::Bytes(d) | Symbol::Pointers(d)) => *d,
                _ => return Err(format!("pointer `{name}`: `{target}` is not data")),
            };
            desc.define_zeroinit(ptr_bytes);
            desc.set_align(ptr_bytes as u64);
            let gv = module.declare_data_in_data(target_id, &mut desc);
            desc.write_data_addr(0, gv, *addend);
            (name, symbols[name])
        }
        Item::Extern { .. } | Item::Func { .. } => return Ok(()),
    };
    let (Symbol::Var(id) | Symbol::Bytes(id) | Symbol::Pointers(id)) = id else {
        unreachable!("data items are declared as data");
    };
    module
        .define_data(id, &desc)
        .map_err(|e| format!("defining `{name}`: {e}"))
}

struct FuncGen<'a, M: Module> {
    module: &'a mut M,
    symbols: &'a HashMap<String, Symbol>,
    b: FunctionBuilder<'a>,
    vars: HashMap<String, Variable>,
    funcs: HashMap<FuncId, FuncRef>,
    data: HashMap<DataId, GlobalValue>,
    ptr: Type,
}

impl<M: Module> FuncGen<'_, M> {
    /// Generate the function; falling off its end returns 0.
    fn function(mut self, params: &[String], body: &[Stmt]) -> Result<(), String> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        for (i, param) in params.iter().enumerate() {
            let value = self.b.block_params(entry)[i];
            let var = self.b.declare_var(types::I64);
            self.b.def_var(var, value);
            self.vars.insert(param.clone(), var);
        }
        self.stmts(body)?;
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().return_(&[zero]);
        self.b.seal_all_blocks();
        let config = self.module.target_config();
        self.b.finalize(config);
        Ok(())
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Result<(), String> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, stmt: &Stmt) -> Result<(), String> {
        match stmt {
            Stmt::Let(name, e) => {
                let value = self.expr(e)?;
                let var = self.b.declare_var(types::I64);
                self.b.def_var(var, value);
                self.vars.insert(name.clone(), var);
            }
            Stmt::Assign(name, e) => {
                let value = self.expr(e)?;
                if let Some(&var) = self.vars.get(name) {
                    self.b.def_var(var, value);
                } else if let Some(&Symbol::Var(id)) = self.symbols.get(name) {
                    let addr = self.data_addr(id);
                    self.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
                } else {
                    return Err(format!("cannot assign to `{name}`"));
                }
            }
            Stmt::If(cond, then, otherwise) => {
                let c = self.expr(cond)?;
                let (then_block, else_block, join) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.ins().brif(c, then_block, &[], else_block, &[]);
                for (block, body) in [(then_block, then), (else_block, otherwise)] {
                    self.b.switch_to_block(block);
                    self.stmts(body)?;
                    self.b.ins().jump(join, &[]);
                }
                self.b.switch_to_block(join);
            }
            Stmt::While(cond, body) => {
                let (header, body_block, exit) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.ins().jump(header, &[]);
                self.b.switch_to_block(header);
                let c = self.expr(cond)?;
                self.b.ins().brif(c, body_block, &[], exit, &[]);
                self.b.switch_to_block(body_block);
                self.stmts(body)?;
                self.b.ins().jump(header, &[]);
                self.b.switch_to_block(exit);
            }
            Stmt::Return(e) => {
                let value = self.expr(e)?;
                self.b.ins().return_(&[value]);
                // Code after a return is unreachable; give it a block of its own.
                let dead = self.b.create_block();
                self.b.switch_to_block(dead);
            }
            Stmt::Expr(e) => {
                self.expr(e)?;
            }
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> Result<Value, String> {
        Ok(match e {
            Expr::Int(v) => self.b.ins().iconst(types::I64, *v),
            Expr::Name(name) => {
                if let Some(&var) = self.vars.get(name) {
                    return Ok(self.b.use_var(var));
                }
                match self.symbols.get(name) {
                    Some(&Symbol::Var(id)) => {
                        let addr = self.data_addr(id);
                        self.b
                            .ins()
                            .load(types::I64, MemFlagsData::trusted(), addr, 0)
                    }
                    Some(&(Symbol::Bytes(id) | Symbol::Pointers(id))) => {
                        let addr = self.data_addr(id);
                        self.widen(addr)
                    }
                    Some(Symbol::Func(..)) => {
                        return Err(format!("`{name}` is a function: call it or take `&{name}`"))
                    }
                    None => return Err(format!("unknown name `{name}`")),
                }
            }
            Expr::AddrOf(name) => match self.symbols.get(name) {
                Some(&Symbol::Func(id, _)) => {
                    let fref = self.func_ref(id);
                    let addr = self.b.ins().func_addr(self.ptr, fref);
                    self.widen(addr)
                }
                Some(&(Symbol::Var(id) | Symbol::Bytes(id) | Symbol::Pointers(id))) => {
                    let addr = self.data_addr(id);
                    self.widen(addr)
                }
                None => return Err(format!("unknown name `{name}`")),
            },
            Expr::Neg(inner) => {
                let v = self.expr(inner)?;
                self.b.ins().ineg(v)
            }
            Expr::Binary(op, l, r) => {
                let (l, r) = (self.expr(l)?, self.expr(r)?);
                self.binary(*op, l, r)
            }
            Expr::Index(base, index) => {
                let pointers = matches!(&**base, Expr::Name(n) if matches!(self.symbols.get(n), Some(Symbol::Pointers(_))) && !self.vars.contains_key(n));
                let (base, index) = (self.expr(base)?, self.expr(index)?);
                let stride = if pointers {
                    i64::from(self.ptr.bytes())
                } else {
                    1
                };
                let offset = self.b.ins().imul_imm_s(index, stride);
                let addr = self.b.ins().iadd(base, offset);
                let addr = self.narrow(addr);
                if pointers {
                    let p = self
                        .b
                        .ins()
                        .load(self.ptr, MemFlagsData::trusted(), addr, 0);
                    self.widen(p)
                } else {
                    self.b
                        .ins()
                        .uload8(types::I64, MemFlagsData::trusted(), addr, 0)
                }
            }
            Expr::Call(callee, args) => self.call(callee, args)?,
        })
    }

    fn call(&mut self, callee: &Expr, args: &[Expr]) -> Result<Value, String> {
        let direct = match callee {
            Expr::Name(n) if !self.vars.contains_key(n) => match self.symbols.get(n) {
                Some(&Symbol::Func(id, arity)) => Some((n, id, arity)),
                _ => None,
            },
            _ => None,
        };
        let target = match direct {
            Some(_) => None,
            None => Some(self.expr(callee)?),
        };
        let values = args
            .iter()
            .map(|a| self.expr(a))
            .collect::<Result<Vec<_>, _>>()?;
        let inst = match (direct, target) {
            (Some((name, id, arity)), _) => {
                if arity != args.len() {
                    return Err(format!(
                        "`{name}` takes {arity} arguments, not {}",
                        args.len()
                    ));
                }
                let fref = self.func_ref(id);
                self.b.ins().call(fref, &values)
            }
            (None, Some(pointer)) => {
                let sig = signature(&*self.module, args.len());
                let sig = self.b.import_signature(sig);
                let pointer = self.narrow(pointer);
                self.b.ins().call_indirect(sig, pointer, &values)
            }
            (None, None) => unreachable!("a call is direct or through a pointer"),
        };
        Ok(self.b.inst_results(inst)[0])
    }

    fn binary(&mut self, op: BinOp, l: Value, r: Value) -> Value {
        let ins = self.b.ins();
        let cc = match op {
            BinOp::Add => return ins.iadd(l, r),
            BinOp::Sub => return ins.isub(l, r),
            BinOp::Mul => return ins.imul(l, r),
            BinOp::Div => return ins.sdiv(l, r),
            BinOp::Rem => return ins.srem(l, r),
            BinOp::Eq => IntCC::Equal,
            BinOp::Ne => IntCC::NotEqual,
            BinOp::Lt => IntCC::SignedLessThan,
            BinOp::Le => IntCC::SignedLessThanOrEqual,
            BinOp::Gt => IntCC::SignedGreaterThan,
            BinOp::Ge => IntCC::SignedGreaterThanOrEqual,
        };
        let flag = self.b.ins().icmp(cc, l, r);
        self.b.ins().uextend(types::I64, flag)
    }

    fn func_ref(&mut self, id: FuncId) -> FuncRef {
        if let Some(&r) = self.funcs.get(&id) {
            return r;
        }
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.funcs.insert(id, r);
        r
    }

    /// The address of data object `id`, of pointer type.
    fn data_addr(&mut self, id: DataId) -> Value {
        let gv = match self.data.get(&id) {
            Some(&gv) => gv,
            None => {
                let gv = self.module.declare_data_in_func(id, self.b.func);
                self.data.insert(id, gv);
                gv
            }
        };
        self.b.ins().symbol_value(self.ptr, gv)
    }

    /// A pointer as an i64 value.
    fn widen(&mut self, pointer: Value) -> Value {
        if self.ptr == types::I64 {
            pointer
        } else {
            self.b.ins().uextend(types::I64, pointer)
        }
    }

    /// An i64 value as a pointer.
    fn narrow(&mut self, value: Value) -> Value {
        if self.ptr == types::I64 {
            value
        } else {
            self.b.ins().ireduce(self.ptr, value)
        }
    }
}
