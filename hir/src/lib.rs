//! The semantic layer over syntax trees: the salsa database ([`db`]), lowering to the
//! high-level IR ([`lower`], [`hir`]) with name resolution, its printed forms ([`print`] as
//! the reference prints parsed Nix, [`dump`] for tests), and the name check of `lixc check`
//! ([`scope`]), which finds the variables that no enclosing binding, `with` or global defines,
//! and the lints with their fixes ([`lint`]).

pub mod db;
pub mod dump;
pub mod globals;
pub mod hir;
pub mod lint;
pub mod lower;
pub mod print;
pub mod scope;

pub use db::{file_diagnostics, lint_file, lower_file, parse_file, Db, RootDatabase, SourceFile};
pub use dump::dump;
pub use lower::{lower, LowerConfig, LowerError, Lowered};
pub use print::print_nix;
pub use scope::{undefined_variables, Unresolved};
