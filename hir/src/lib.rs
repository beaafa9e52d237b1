//! The semantic layer over syntax trees: name resolution ([`scope`]), which finds the variables
//! that no enclosing binding, `with` or global defines, and the high-level IR ([`hir`]) that the
//! compiler reads.

pub mod globals;
pub mod hir;
pub mod scope;

pub use scope::{undefined_variables, Unresolved};
