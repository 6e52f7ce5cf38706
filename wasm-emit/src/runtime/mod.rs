//! Runtime helpers: functions the lowering calls where wasm has no instruction for a CLIF
//! operation (64-bit high multiplies, correctly rounded fma) or where a libcall needs a
//! function to take the address of, and `memcmp`.
//!
//! The helpers are written in CLIF (`intrinsics.clif`) and lowered by this same backend, on
//! demand, into the module that needs them. They can be read, and tested against Cranelift's
//! interpreter, like any other CLIF.

use crate::module::env::WasmSig;
use cranelift_codegen::ir::{self, LibCall};
use std::sync::OnceLock;
use wasm_encoder::ValType;

/// A runtime helper function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Helper {
    /// High 64 bits of the unsigned 128-bit product.
    UMulHi64,
    /// High 64 bits of the signed 128-bit product.
    SMulHi64,
    /// Correctly rounded fused multiply-add, f32.
    FmaF32,
    /// Correctly rounded fused multiply-add, f64.
    FmaF64,
    /// A libcall that maps onto one CLIF instruction (ceil, floor, trunc, nearest).
    LibCall(LibCall),
    /// `memcmp` with 32-bit (false) or 64-bit (true) pointers.
    Memcmp(bool),
}

const SOURCE: &str = include_str!("intrinsics.clif");

/// `memcmp` over linear memory, for pointers of type `{p}` (cranelift-frontend's
/// `call_memcmp`): the difference of the first differing bytes, as unsigned bytes, or 0
/// when the first `v2` bytes are equal.
const MEMCMP: &str = "function %{name}({p}, {p}, {p}) -> i32 {
block0(v0: {p}, v1: {p}, v2: {p}):
    v3 = iconst.{p} 0
    v4 = iconst.{p} 1
    v5 = iconst.i32 0
    jump block1(v3)
block1(v6: {p}):
    v7 = icmp uge v6, v2
    brif v7, block3, block2
block2:
    v8 = iadd v0, v6
    v9 = uload8.i32 v8
    v10 = iadd v1, v6
    v11 = uload8.i32 v10
    v12 = isub v9, v11
    v13 = iadd v6, v4
    brif v12, block4(v12), block1(v13)
block3:
    return v5
block4(v14: i32):
    return v14
}";

fn parsed() -> &'static [ir::Function] {
    static FUNCS: OnceLock<Vec<ir::Function>> = OnceLock::new();
    FUNCS.get_or_init(|| {
        cranelift_reader::parse_functions(SOURCE).expect("runtime helpers are valid CLIF")
    })
}

impl Helper {
    /// The helper that implements a libcall, if the backend provides it.
    pub fn for_libcall(libcall: LibCall) -> Option<Helper> {
        use LibCall::*;
        match libcall {
            FmaF32 => Some(Helper::FmaF32),
            FmaF64 => Some(Helper::FmaF64),
            CeilF32 | CeilF64 | FloorF32 | FloorF64 | TruncF32 | TruncF64 | NearestF32
            | NearestF64 => Some(Helper::LibCall(libcall)),
            _ => None,
        }
    }

    /// The helper's symbol name (for the name section).
    pub fn name(self) -> String {
        match self {
            Helper::UMulHi64 => "__wasm_emit_umulhi64".into(),
            Helper::SMulHi64 => "__wasm_emit_smulhi64".into(),
            Helper::FmaF32 => "__wasm_emit_fma_f32".into(),
            Helper::FmaF64 => "__wasm_emit_fma_f64".into(),
            Helper::LibCall(lc) => format!("__wasm_emit_{lc}"),
            Helper::Memcmp(wide) => format!("__wasm_emit_memcmp{}", if wide { 64 } else { 32 }),
        }
    }

    /// The helper's wasm signature.
    pub fn wasm_sig(self) -> WasmSig {
        use ValType::*;
        let (params, results) = match self {
            Helper::UMulHi64 | Helper::SMulHi64 => (vec![I64, I64], vec![I64]),
            Helper::FmaF32 => (vec![F32, F32, F32], vec![F32]),
            Helper::FmaF64 => (vec![F64, F64, F64], vec![F64]),
            Helper::Memcmp(false) => (vec![I32, I32, I32], vec![I32]),
            Helper::Memcmp(true) => (vec![I64, I64, I64], vec![I32]),
            Helper::LibCall(lc) => {
                let ty = if lc.to_string().ends_with("F32") {
                    F32
                } else {
                    F64
                };
                (vec![ty], vec![ty])
            }
        };
        WasmSig { params, results }
    }

    /// The helper as a CLIF function.
    pub fn function(self) -> ir::Function {
        if let Helper::Memcmp(wide) = self {
            let p = if wide { "i64" } else { "i32" };
            let text = MEMCMP.replace("{name}", &self.name()).replace("{p}", p);
            let mut funcs = cranelift_reader::parse_functions(&text).expect("valid memcmp CLIF");
            return funcs.remove(0);
        }
        if let Helper::LibCall(lc) = self {
            let name = lc.to_string();
            let ty = if name.ends_with("F32") { "f32" } else { "f64" };
            let op = name
                .trim_end_matches("F32")
                .trim_end_matches("F64")
                .to_lowercase();
            let text = format!(
                "function %{}({ty}) -> {ty} {{\nblock0(v0: {ty}):\n    v1 = {op} v0\n    return v1\n}}",
                self.name()
            );
            let mut funcs = cranelift_reader::parse_functions(&text).expect("valid libcall CLIF");
            return funcs.remove(0);
        }
        let name = format!("%{}", self.name());
        parsed()
            .iter()
            .find(|f| f.name.to_string() == name)
            .cloned()
            .expect("every helper is defined in intrinsics.clif")
    }
}
