//! Data objects: checking a `DataDescription`, laying objects out in linear memory, and
//! patching their relocations into bytes.

use super::error::backend;
use cranelift_module::ModuleResult;
use cranelift_module::{DataDescription, DataId, FuncId, Init, ModuleError, ModuleRelocTarget};

/// A defined data object, checked.
#[derive(Clone, Debug)]
pub(super) struct DataObject {
    /// Its contents; `None` for zero-initialized data.
    pub bytes: Option<Box<[u8]>>,
    /// Size in bytes.
    pub size: u64,
    /// Alignment in bytes (a power of two).
    pub align: u64,
    /// Whether it may be written (decides only where it is placed).
    pub writable: bool,
    /// Function addresses to write: (offset, function).
    pub func_relocs: Vec<(u64, FuncId)>,
    /// Data addresses to write: (offset, data object, addend).
    pub data_relocs: Vec<(u64, DataId, i64)>,
}

/// The largest alignment data may ask for: a wasm page.
const MAX_ALIGN: u64 = 1 << 16;

/// What a relocation in data may point at.
pub(super) struct Known<'a> {
    /// Whether a function id is declared.
    pub func: &'a dyn Fn(u32) -> bool,
    /// Whether a data id is declared.
    pub data: &'a dyn Fn(u32) -> bool,
}

impl DataObject {
    /// Check `desc`, the definition of data object `name`, for a target whose pointers
    /// take `pointer_bytes` and whose memory holds at most `max_bytes`.
    pub fn new(
        name: &str,
        desc: &DataDescription,
        writable: bool,
        (pointer_bytes, max_bytes): (u64, u64),
        known: &Known,
    ) -> ModuleResult<DataObject> {
        let (bytes, size) = match &desc.init {
            Init::Uninitialized => {
                return Err(backend(format!(
                    "data `{name}` has no contents (hint: call `define` or `define_zeroinit` on its DataDescription)"
                )))
            }
            Init::Zeros { size } => (None, *size as u64),
            Init::Bytes { contents } => (Some(contents.clone()), contents.len() as u64),
        };
        if let Some(section) = &desc.custom_section {
            return Err(backend(format!(
                "data `{name}` asks for the custom section `{section}`: a wasm module has none for data (hint: drop `set_segment_section`)"
            )));
        }
        if size > max_bytes {
            return Err(backend(format!(
                "data `{name}` is {size} bytes, more than the target's memory can hold ({max_bytes} bytes)"
            )));
        }
        let align = desc.align.unwrap_or(1);
        if !align.is_power_of_two() || align > MAX_ALIGN {
            return Err(backend(format!(
                "data `{name}` has alignment {align}: it must be a power of two up to {MAX_ALIGN} (a wasm page)"
            )));
        }
        let mut object = DataObject {
            bytes,
            size,
            align,
            writable,
            func_relocs: Vec::new(),
            data_relocs: Vec::new(),
        };
        let in_bounds = |offset: u32| {
            if u64::from(offset) + pointer_bytes <= size {
                Ok(u64::from(offset))
            } else {
                Err(backend(format!(
                    "data `{name}` has a relocation at offset {offset}, but a {pointer_bytes}-byte pointer there does not fit in its {size} bytes"
                )))
            }
        };
        for &(offset, func_ref) in &desc.function_relocs {
            let target = desc.function_decls.get(func_ref).ok_or_else(|| {
                backend(format!(
                    "data `{name}` relocates {func_ref}, which its DataDescription does not declare"
                ))
            })?;
            let id = reloc_target(name, target, 0, known.func)?;
            object
                .func_relocs
                .push((in_bounds(offset)?, FuncId::from_u32(id)));
        }
        for &(offset, gv, addend) in &desc.data_relocs {
            let target = desc.data_decls.get(gv).ok_or_else(|| {
                backend(format!(
                    "data `{name}` relocates {gv}, which its DataDescription does not declare"
                ))
            })?;
            let id = reloc_target(name, target, 1, known.data)?;
            object
                .data_relocs
                .push((in_bounds(offset)?, DataId::from_u32(id), addend));
        }
        if object.bytes.is_none() && object.has_relocs() {
            object.bytes = Some(vec![0; size as usize].into_boxed_slice());
        }
        Ok(object)
    }

    fn has_relocs(&self) -> bool {
        !self.func_relocs.is_empty() || !self.data_relocs.is_empty()
    }
}

/// The id a relocation target names in `namespace` (0: functions, 1: data).
fn reloc_target(
    name: &str,
    target: &ModuleRelocTarget,
    namespace: u32,
    declared: &dyn Fn(u32) -> bool,
) -> ModuleResult<u32> {
    match *target {
        ModuleRelocTarget::User { namespace: ns, index } if ns == namespace && declared(index) => {
            Ok(index)
        }
        ModuleRelocTarget::User { .. } => Err(ModuleError::Undeclared(format!(
            "{target} (in a relocation of data `{name}`)"
        ))),
        _ => Err(backend(format!(
            "data `{name}` relocates to {target}: wasm-emit resolves only declared functions and data (hint: declare it with declare_function or declare_data)"
        ))),
    }
}

/// Where every data object goes, and the bytes of memory it initializes.
#[derive(Debug, Default)]
pub(super) struct Placement {
    /// Address of each object, by data id.
    pub addresses: Vec<Option<u64>>,
    /// First address of the bytes and the bytes (relocations not yet patched).
    pub image: (u64, Vec<u8>),
    /// First address past all data.
    pub end: u64,
}

fn align_up(value: u64, align: u64) -> u64 {
    value.div_ceil(align).saturating_mul(align)
}

/// Lay `objects` (by data id) out from address `base`: read-only ones with bytes, then
/// writable ones with bytes, then zero-initialized ones, which add no bytes to the image.
pub(super) fn place(objects: &[Option<DataObject>], base: u64) -> Placement {
    let mut placement = Placement {
        addresses: vec![None; objects.len()],
        image: (base, Vec::new()),
        end: base,
    };
    let groups: [&dyn Fn(&DataObject) -> bool; 3] = [
        &|o| o.bytes.is_some() && !o.writable,
        &|o| o.bytes.is_some() && o.writable,
        &|o| o.bytes.is_none(),
    ];
    for group in groups {
        for (id, object) in objects.iter().enumerate() {
            let Some(object) = object.as_ref().filter(|o| group(o)) else {
                continue;
            };
            // Sizes are at most the memory's and alignments a page, so this saturates
            // only far beyond any memory, where `end` is then rejected.
            let addr = align_up(placement.end, object.align);
            placement.addresses[id] = Some(addr);
            placement.end = addr.saturating_add(object.size);
            if let Some(bytes) = &object.bytes {
                let image = &mut placement.image.1;
                image.resize((addr - base) as usize, 0);
                image.extend_from_slice(bytes);
            }
        }
    }
    placement
}

/// Write every relocation of `objects` into the image of `placement`: a function's table
/// slot (`slot`), a data object's address plus the addend, `pointer_bytes` wide.
pub(super) fn patch(
    objects: &[Option<DataObject>],
    placement: &mut Placement,
    slot: &dyn Fn(FuncId) -> u64,
    pointer_bytes: u64,
) {
    let (base, image) = (placement.image.0, &mut placement.image.1);
    for (id, object) in objects.iter().enumerate() {
        let (Some(object), Some(addr)) = (object, placement.addresses[id]) else {
            continue;
        };
        let at = (addr - base) as usize;
        let mut write = |offset: u64, value: u64| {
            let start = at + offset as usize;
            let bytes = value.to_le_bytes();
            image[start..start + pointer_bytes as usize]
                .copy_from_slice(&bytes[..pointer_bytes as usize]);
        };
        for &(offset, func) in &object.func_relocs {
            write(offset, slot(func));
        }
        for &(offset, data, addend) in &object.data_relocs {
            let target = placement.addresses[data.as_u32() as usize].unwrap_or(0);
            write(offset, target.wrapping_add(addend as u64));
        }
    }
}
