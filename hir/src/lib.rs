//! The semantic layer over syntax trees. For now: name resolution ([`scope`]), which finds the
//! variables that no enclosing binding, `with` or global defines — an error the reference
//! implementation reports while parsing. Lowering to HIR and the salsa database come with the
//! evaluator.

pub mod globals;
pub mod scope;

pub use scope::{undefined_variables, Unresolved};
