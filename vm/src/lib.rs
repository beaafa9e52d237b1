//! The lixc virtual machine: the value model ([`value`]), our garbage-collected heap ([`gc`]),
//! the interpreter loop ([`vm`]), operators and coercions ([`ops`]), builtins ([`builtins`]),
//! value printing ([`print`]) and the `EvalIO` boundary ([`io`]). The VM does no I/O except
//! through `EvalIO`.

mod api;
pub mod builtins;
pub mod error;
pub mod gc;
pub mod corepkgs;
pub mod io;
pub mod lint;
mod loader;
pub mod ops;
pub mod print;
pub mod symbol;
mod upvalue_stack;
pub mod value;
pub mod vm;

pub use error::{ErrorData, ErrorKind, EvalError, EvalResult, Pos, TraceEntry, Warning, WarningLayout};
pub use io::{EvalIO, RealIO};
pub use value::Value;
pub use vm::{EvalConfig, Vm};
