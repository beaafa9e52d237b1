//! The compiler as a salsa query: a file's bytecode is recomputed only when its HIR changes.

use std::sync::Arc;

use lix_hir::db::{lower_file, Db, SourceFile};

use crate::{compile, CompiledFile};

/// The bytecode of `file`.
#[salsa::tracked]
pub fn compile_file(db: &dyn Db, file: SourceFile) -> Arc<CompiledFile> {
    let lowered = lower_file(db, file);
    let body = &lowered.body;
    Arc::new(compile(body, &|e| {
        let mut sub = body.clone();
        sub.root = e;
        lix_hir::print::print_nix(&sub)
    }))
}
