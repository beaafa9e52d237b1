//! File builtins: `readFile`, `readDir`, `readFileType`, `pathExists` and `toPath`. All
//! access goes through `EvalIO`.

use super::{lossy, nth_arg, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::ops::{canon_path, Coercion};
use crate::value::{Attrs, Value};
use crate::Vm;

/// The canonical absolute path that `v` denotes: a path, or a string (or set coercible to
/// one) that starts with `/` (CppNix's `realisePath`, without building context).
pub(super) fn real_path(vm: &mut Vm, v: Value) -> EvalResult<String> {
    absolute_path(vm, v, Some("while realising the context of a path"))
}

/// [`real_path`], with the trace frame a failed coercion gets (`None`: none, as `toPath`).
fn absolute_path(vm: &mut Vm, v: Value, frame: Option<&str>) -> EvalResult<String> {
    let framed = |e: EvalError| match frame {
        Some(f) => crate::ops::with_trace(e, f.into()),
        None => e,
    };
    let v = vm.force(v)?;
    let bytes = match v {
        Value::Path(g) => vm.heap.str(g).bytes.to_vec(),
        _ => {
            let (s, _) = vm.coerce_to_string(v, Coercion::Interpolation, false).map_err(framed)?;
            if !s.starts_with(b"/") {
                let message = format!("string '{}' doesn't represent an absolute path", lossy(&s));
                return Err(framed(EvalError::type_error(message)));
            }
            canon_path(&s)
        }
    };
    Ok(lossy(&bytes))
}

/// The contents of `path`, with CppNix's messages for missing files.
pub(super) fn read(vm: &mut Vm, path: &str) -> EvalResult<Vec<u8>> {
    if vm.io.file_type(path).is_err() {
        return Err(EvalError::new(ErrorKind::Other, format!("path '{path}' does not exist")));
    }
    vm.io.read_file(path).map_err(|e| EvalError::new(ErrorKind::Other, format!("reading file '{path}': {e}")))
}

/// O(size of the file), read through `EvalIO`.
pub(super) fn read_file(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let path = real_path(vm, a[0]).trace(|| nth_arg(0, "readFile"))?;
    let data = read(vm, &path)?;
    if data.contains(&0) {
        return Err(EvalError::new(
            ErrorKind::Other,
            format!("the contents of the file '{path}' cannot be represented as a Nix string"),
        ));
    }
    Ok(vm.new_string(data))
}

/// O(entries), one directory listing through `EvalIO`.
pub(super) fn read_dir(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let path = real_path(vm, a[0]).trace(|| nth_arg(0, "readDir"))?;
    if !vm.io.path_exists(&path) {
        return Err(EvalError::new(ErrorKind::Other, format!("path '{path}' does not exist")));
    }
    let entries = vm.io.read_dir(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotADirectory {
            // Named as the reference names it: with its symbolic links resolved.
            let path = vm.io.resolve_symlinks(&path);
            EvalError::new(ErrorKind::Other, format!("'{path}' is not a directory"))
        } else {
            EvalError::new(ErrorKind::Other, format!("reading directory '{path}': {e}"))
        }
    })?;
    let mut out = Vec::with_capacity(entries.len());
    for (name, ty) in entries {
        let ty = if ty == crate::io::FileType::Unknown {
            vm.io.file_type(&format!("{path}/{name}")).unwrap_or(ty)
        } else {
            ty
        };
        let sym = vm.intern(name.as_bytes());
        out.push((sym, vm.new_string(ty.name().as_bytes())));
    }
    Ok(vm.new_attrs(Attrs::from_unsorted(out)))
}

/// O(1): one `lstat` through `EvalIO`.
pub(super) fn read_file_type(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let path = real_path(vm, a[0]).trace(|| nth_arg(0, "readFileType"))?;
    let ty = vm
        .io
        .file_type(&path)
        .map_err(|_| EvalError::new(ErrorKind::Other, format!("path '{path}' does not exist")))?;
    Ok(vm.new_string(ty.name().as_bytes()))
}

/// O(1): one `lstat` through `EvalIO` (a dangling symlink exists). A string ending in `/` or
/// `/.` must name a directory.
pub(super) fn path_exists(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    let path = real_path(vm, v)?;
    let must_be_dir = match v {
        Value::String(g) => {
            let s = &vm.heap.str(g).bytes;
            s.ends_with(b"/") || s.ends_with(b"/.")
        }
        _ => false,
    };
    let exists = if must_be_dir {
        vm.io.path_exists(&path) && vm.io.read_dir(&path).is_ok()
    } else {
        vm.io.file_type(&path).is_ok()
    };
    Ok(Value::Bool(exists))
}

/// O(n): the canonical absolute path as a string.
pub(super) fn to_path(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let path = absolute_path(vm, a[0], None).trace(|| nth_arg(0, "toPath"))?;
    Ok(vm.new_string(path.into_bytes()))
}
