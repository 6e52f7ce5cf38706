//! The oracle: Cranelift's interpreter, stepped with a `State` of our own that models what
//! the wasm module does — one linear memory holding the shadow stack (with the same frame
//! layout as wasm-emit, so stack addresses are equal integers on both sides) and the heap,
//! value slots as per-frame storage outside memory, and off-heap globals.

use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::{
    self, Endianness, ExternalName, FuncRef, Function, GlobalValue, MemFlagsData, StackSlot, Type,
};
use cranelift_interpreter::address::{Address, AddressRegion, AddressSize};
use cranelift_interpreter::frame::Frame;
use cranelift_interpreter::instruction::DfgInstructionContext;
use cranelift_interpreter::interpreter::LibCallHandler;
use cranelift_interpreter::state::{InterpreterFunctionRef, MemoryError, State};
use cranelift_interpreter::step::{step, ControlFlow, CraneliftTrap};
use cranelift_offheap::decls::OffHeapSymbol;
use cranelift_offheap::ModuleDecls;
use std::collections::HashMap;
use wasm_emit::frame::FrameLayout;

/// Region entries inside `AddressRegion::GlobalValue`.
const VALUE_SLOTS: u64 = 1;
const GLOBALS: u64 = 2;

struct FrameMeta {
    saved_sp: u64,
    base: u64,
    layout: Option<FrameLayout>,
    value_slots: HashMap<StackSlot, [u8; 16]>,
}

/// The interpreter's view of a wasm instance.
pub struct WasmState<'a> {
    functions: Vec<&'a Function>,
    by_name: HashMap<String, usize>,
    decls: &'a ModuleDecls,
    frames: Vec<Frame<'a>>,
    meta: Vec<FrameMeta>,
    sp: u64,
    /// Linear memory.
    pub memory: Vec<u8>,
    /// Off-heap globals, little-endian bytes by declaration index.
    pub globals: Vec<[u8; 16]>,
    pinned: DataValue,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Returned these values.
    Values(Vec<DataValue>),
    /// Trapped.
    Trap,
    /// Ran out of fuel, or hit something the interpreter cannot do: no verdict.
    Inconclusive(String),
}

impl<'a> WasmState<'a> {
    /// A state for `functions`, with `memory_bytes` of zeroed linear memory and the shadow
    /// stack pointer at `stack_top`.
    pub fn new(
        functions: &'a [Function],
        decls: &'a ModuleDecls,
        memory_bytes: usize,
        stack_top: u64,
    ) -> Self {
        let globals = decls
            .globals
            .values()
            .map(|g| {
                let mut bytes = [0u8; 16];
                let v: u64 = match g.init {
                    Some(cranelift_offheap::ConstValue::I32(v)) => v as u32 as u64,
                    Some(cranelift_offheap::ConstValue::I64(v)) => v as u64,
                    Some(cranelift_offheap::ConstValue::F32(b)) => u64::from(b),
                    Some(cranelift_offheap::ConstValue::F64(b)) => b,
                    _ => 0,
                };
                bytes[..8].copy_from_slice(&v.to_le_bytes());
                bytes
            })
            .collect();
        WasmState {
            by_name: functions
                .iter()
                .enumerate()
                .map(|(i, f)| (f.name.to_string(), i))
                .collect(),
            functions: functions.iter().collect(),
            decls,
            frames: Vec::new(),
            meta: Vec::new(),
            sp: stack_top,
            memory: vec![0; memory_bytes],
            globals,
            pinned: DataValue::I64(0),
        }
    }

    /// Run `%name` with `args`, executing at most `fuel` instructions.
    pub fn run(&mut self, name: &str, args: &[DataValue], fuel: u64) -> Outcome {
        let Some(&i) = self.by_name.get(name) else {
            return Outcome::Inconclusive(format!("no function {name}"));
        };
        let mut fuel = fuel;
        match self.call(self.functions[i], args.to_vec(), &mut fuel) {
            Ok(ControlFlow::Return(values)) => Outcome::Values(values.to_vec()),
            Ok(ControlFlow::Trap(_)) => Outcome::Trap,
            Ok(other) => Outcome::Inconclusive(format!("ended with {other:?}")),
            Err(e) => Outcome::Inconclusive(e),
        }
    }

    fn call(
        &mut self,
        func: &'a Function,
        args: Vec<DataValue>,
        fuel: &mut u64,
    ) -> Result<ControlFlow<'a>, String> {
        let entry = func.layout.entry_block().ok_or("no entry block")?;
        self.push_frame(func);
        self.current_frame_mut()
            .set_all(func.dfg.block_params(entry), args);
        let mut next = func.layout.first_inst(entry);
        while let Some(inst) = next {
            if *fuel == 0 {
                return Err("fuel exhausted".into());
            }
            *fuel -= 1;
            let context = DfgInstructionContext::new(inst, &func.dfg);
            match step(self, context).map_err(|e| format!("step: {e}"))? {
                ControlFlow::Assign(values) => {
                    self.current_frame_mut()
                        .set_all(func.dfg.inst_results(inst), values.to_vec());
                    next = func.layout.next_inst(inst);
                }
                ControlFlow::Continue => next = func.layout.next_inst(inst),
                ControlFlow::ContinueAt(block, args) => {
                    self.current_frame_mut()
                        .set_all(func.dfg.block_params(block), args.to_vec());
                    next = func.layout.first_inst(block);
                }
                ControlFlow::Call(callee, args) => match self.call(callee, args.to_vec(), fuel)? {
                    ControlFlow::Return(rets) => {
                        self.current_frame_mut()
                            .set_all(func.dfg.inst_results(inst), rets.to_vec());
                        next = func.layout.next_inst(inst);
                    }
                    trap @ ControlFlow::Trap(_) => return Ok(trap),
                    other => return Err(format!("after a call: {other:?}")),
                },
                ControlFlow::ReturnCall(callee, args) => {
                    self.pop_frame();
                    return self.call(callee, args.to_vec(), fuel);
                }
                ControlFlow::Return(values) => {
                    self.pop_frame();
                    return Ok(ControlFlow::Return(values));
                }
                trap @ ControlFlow::Trap(_) => return Ok(trap),
            }
        }
        Err("fell off a block".into())
    }

    fn memory_range(&self, addr: &Address, len: usize) -> Option<std::ops::Range<usize>> {
        let start = usize::try_from(addr.offset).ok()?;
        let end = start.checked_add(len)?;
        (end <= self.memory.len()).then_some(start..end)
    }

    /// The bytes behind a value-slot or global address.
    fn off_heap_bytes(&mut self, addr: &Address) -> Option<&mut [u8; 16]> {
        match addr.entry {
            VALUE_SLOTS => {
                let depth = (addr.offset >> 32) as usize;
                let slot = StackSlot::from_u32((addr.offset & 0xffff_ffff) as u32);
                Some(
                    self.meta
                        .get_mut(depth)?
                        .value_slots
                        .entry(slot)
                        .or_insert([0; 16]),
                )
            }
            GLOBALS => self.globals.get_mut(addr.offset as usize),
            _ => None,
        }
    }
}

fn read(bytes: &[u8], ty: Type, big: bool) -> DataValue {
    if big {
        DataValue::read_from_slice_be(bytes, ty)
    } else {
        DataValue::read_from_slice_le(bytes, ty)
    }
}

impl<'a> State<'a> for WasmState<'a> {
    fn get_function(&self, func_ref: FuncRef) -> Option<&'a Function> {
        let caller = self.frames.last()?.function();
        let name = caller.dfg.ext_funcs[func_ref]
            .name
            .display(Some(&caller.params))
            .to_string();
        self.by_name.get(&name).map(|&i| self.functions[i])
    }

    fn get_current_function(&self) -> &'a Function {
        self.frames.last().expect("a frame").function()
    }

    fn get_libcall_handler(&self) -> LibCallHandler {
        |_, _| Err(CraneliftTrap::UnreachableCodeReached)
    }

    fn push_frame(&mut self, function: &'a Function) {
        // The same frame as wasm-emit's prologue: down by the size, aligned.
        let layout = FrameLayout::compute(function);
        let saved_sp = self.sp;
        if let Some(l) = &layout {
            self.sp = self.sp.wrapping_sub(l.size) & !(l.align - 1);
        }
        self.meta.push(FrameMeta {
            saved_sp,
            base: self.sp,
            layout,
            value_slots: HashMap::new(),
        });
        self.frames.push(Frame::new(function));
    }

    fn pop_frame(&mut self) {
        if let Some(meta) = self.meta.pop() {
            self.sp = meta.saved_sp;
        }
        self.frames.pop();
    }

    fn current_frame_mut(&mut self) -> &mut Frame<'a> {
        self.frames.last_mut().expect("a frame")
    }

    fn current_frame(&self) -> &Frame<'a> {
        self.frames.last().expect("a frame")
    }

    fn stack_address(
        &self,
        size: AddressSize,
        slot: StackSlot,
        offset: u64,
    ) -> Result<Address, MemoryError> {
        let func = self.get_current_function();
        let meta = self.meta.last().expect("a frame");
        if cranelift_offheap::value_slot_type(func, slot).is_some() {
            let depth = (self.meta.len() - 1) as u64;
            return Address::from_parts(
                size,
                AddressRegion::GlobalValue,
                VALUE_SLOTS,
                (depth << 32) | u64::from(slot.as_u32()),
            );
        }
        let layout = meta
            .layout
            .as_ref()
            .ok_or(MemoryError::InvalidOffset { offset, max: 0 })?;
        Address::from_parts(
            size,
            AddressRegion::Stack,
            0,
            meta.base + layout.offsets[slot] + offset,
        )
    }

    fn checked_load(
        &self,
        addr: Address,
        ty: Type,
        flags: MemFlagsData,
    ) -> Result<DataValue, MemoryError> {
        let big = flags.endianness(Endianness::Little) == Endianness::Big;
        let len = ty.bytes() as usize;
        match addr.region {
            AddressRegion::Stack => match self.memory_range(&addr, len) {
                Some(r) => Ok(read(&self.memory[r], ty, big)),
                None => Err(MemoryError::OutOfBoundsLoad {
                    addr,
                    load_size: len,
                    mem_flags: flags,
                }),
            },
            AddressRegion::GlobalValue => {
                // Reading never creates state; copy out.
                let bytes = match addr.entry {
                    VALUE_SLOTS => {
                        let depth = (addr.offset >> 32) as usize;
                        let slot = StackSlot::from_u32((addr.offset & 0xffff_ffff) as u32);
                        self.meta
                            .get(depth)
                            .and_then(|m| m.value_slots.get(&slot))
                            .copied()
                            .unwrap_or([0; 16])
                    }
                    _ => *self.globals.get(addr.offset as usize).ok_or(
                        MemoryError::InvalidOffset {
                            offset: addr.offset,
                            max: 0,
                        },
                    )?,
                };
                Ok(read(&bytes[..len], ty, big))
            }
            _ => Err(MemoryError::OutOfBoundsLoad {
                addr,
                load_size: len,
                mem_flags: flags,
            }),
        }
    }

    fn checked_store(
        &mut self,
        addr: Address,
        v: DataValue,
        flags: MemFlagsData,
    ) -> Result<(), MemoryError> {
        let big = flags.endianness(Endianness::Little) == Endianness::Big;
        let len = v.ty().bytes() as usize;
        let write = |dst: &mut [u8]| {
            if big {
                v.write_to_slice_be(dst)
            } else {
                v.write_to_slice_le(dst)
            }
        };
        match addr.region {
            AddressRegion::Stack => match self.memory_range(&addr, len) {
                Some(r) => {
                    write(&mut self.memory[r]);
                    Ok(())
                }
                None => Err(MemoryError::OutOfBoundsStore {
                    addr,
                    store_size: len,
                    mem_flags: flags,
                }),
            },
            AddressRegion::GlobalValue => match self.off_heap_bytes(&addr) {
                Some(bytes) => {
                    write(&mut bytes[..len]);
                    Ok(())
                }
                None => Err(MemoryError::OutOfBoundsStore {
                    addr,
                    store_size: len,
                    mem_flags: flags,
                }),
            },
            _ => Err(MemoryError::OutOfBoundsStore {
                addr,
                store_size: len,
                mem_flags: flags,
            }),
        }
    }

    fn function_address(
        &self,
        size: AddressSize,
        name: &ExternalName,
    ) -> Result<Address, MemoryError> {
        let caller = self.get_current_function();
        let name = name.display(Some(&caller.params)).to_string();
        let index = *self
            .by_name
            .get(&name)
            .ok_or(MemoryError::InvalidEntry { entry: 0, max: 0 })?;
        Address::from_parts(size, AddressRegion::Function, 1, index as u64)
    }

    fn get_function_from_address(&self, address: Address) -> Option<InterpreterFunctionRef<'a>> {
        if address.region != AddressRegion::Function {
            return None;
        }
        self.functions
            .get(address.offset as usize)
            .map(|f| InterpreterFunctionRef::Function(f))
    }

    fn resolve_global_value(&self, gv: GlobalValue) -> Result<DataValue, MemoryError> {
        let func = self.get_current_function();
        match self.decls.off_heap(func, gv) {
            Some(OffHeapSymbol::Global(id)) => DataValue::try_from(Address::from_parts(
                AddressSize::_64,
                AddressRegion::GlobalValue,
                GLOBALS,
                u64::from(id.as_u32()),
            )?),
            _ => Err(MemoryError::InvalidAddress(DataValue::I64(0))),
        }
    }

    fn get_pinned_reg(&self) -> DataValue {
        self.pinned.clone()
    }

    fn set_pinned_reg(&mut self, v: DataValue) {
        self.pinned = v;
    }
}

/// The type of a global's bytes, for comparisons.
pub fn global_type(decls: &ModuleDecls, index: usize) -> ir::Type {
    decls
        .globals
        .values()
        .nth(index)
        .map_or(ir::types::I64, |g| g.ty.clif())
}
