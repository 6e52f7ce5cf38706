//! `--opt`: Cranelift's target-independent mid-end on the translated functions, the passes
//! that need only flags: unreachable-code removal, constant-phi removal, and the e-graph
//! pass (GVN, LICM, rewrites, and alias analysis with redundant-load removal).

use cranelift_codegen::{settings, settings::Configurable, Context};

/// Optimize `func` in place.
pub fn optimize(func: &mut cranelift_codegen::ir::Function) -> Result<(), String> {
    let mut builder = settings::builder();
    builder
        .set("opt_level", "speed")
        .map_err(|e| e.to_string())?;
    let flags = settings::Flags::new(builder);
    let mut ctx = Context::for_function(std::mem::replace(
        func,
        cranelift_codegen::ir::Function::new(),
    ));
    let result = (|| {
        ctx.compute_cfg();
        ctx.compute_domtree();
        ctx.eliminate_unreachable_code(&flags)?;
        ctx.remove_constant_phis(&flags)?;
        ctx.func.dfg.resolve_all_aliases();
        ctx.egraph_pass(&flags, &mut cranelift_control::ControlPlane::default())
    })();
    *func = ctx.func;
    result.map_err(|e| e.to_string())
}
