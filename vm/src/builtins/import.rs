//! `scopedImport`: a file evaluated with the attributes of a set in scope ahead of the globals.

use super::{nth_arg, path_of, TraceExt};
use crate::error::EvalResult;
use crate::value::Value;
use crate::Vm;

/// `scopedImport scope path`: O(size of the file) to load and compile it, every time (the result
/// depends on the scope, so it is not cached as `import`'s is), plus its evaluation.
pub(super) fn scoped_import(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let scope = vm.expect_attrs(a[0]).trace(|| nth_arg(0, "scopedImport"))?;
    let scope = Value::Attrs(scope);
    // Coercing the path may run Nix code, and so collect: keep the scope alive meanwhile.
    let mark = vm.root(scope);
    let path = path_of(vm, a[1]);
    vm.unroot(mark);
    let path = path?;
    vm.scoped_import(scope, &path).trace(|| format!("while importing '{path}'"))
}
