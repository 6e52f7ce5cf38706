//! Control flow: the lowering graph, its order and dominators, irreducible-loop repair, and
//! the structuring of any CFG into wasm's `block`/`loop`/`if`/`br_table`.
//!
//! The pipeline is `graph::build` → `order::Order::compute` → (if irreducible)
//! `irreducible::make_reducible` and a second `Order::compute` → `structure::emit`.

pub mod graph;
pub mod irreducible;
pub mod order;
pub mod structure;

pub use graph::{Edge, Exit, Graph, Node, NodeKind};
pub use order::Order;
