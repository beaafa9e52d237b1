//! The lixc compiler: lowered HIR to bytecode ([`bytecode`]), one [`CompiledFile`] per source
//! file. It decides where each binding lives (frame slot or captured upvalue) and which values
//! need a thunk; it never runs code. [`compile_file`] is the salsa query over a source file.

pub mod bytecode;
mod compile;
mod query;

pub use bytecode::{ArgCheck, AssertEqInfo, CompiledFile, ContextRegion, ImmediateDefault, Op, OverrideInfo, SpecOp, PatternInfo, Proto, ProtoId, ProtoKind, Slot, WithLookup};
pub use compile::{compile, compile_scoped};
pub use query::compile_file;
