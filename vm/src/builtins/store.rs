//! Builtins that compute store paths through `EvalIO`: `toFile`, `placeholder`, `storePath`,
//! `path` and `filterSource`. With a read-only store they compute paths and write nothing.

use std::collections::HashSet;

use super::hash::{nix32, parse_hash, HashAlgo};
use super::{expect_string_no_ctx, lossy, nth_arg, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::io::FileType;
use crate::ops::{canon_path, Coercion};
use crate::value::{Context, Value};
use crate::Vm;

fn other(message: impl Into<String>) -> EvalError {
    EvalError::new(ErrorKind::Other, message)
}

/// `toFile name contents`: the text path of `contents`, referring to the store paths in its
/// context. O(length of contents).
pub(super) fn to_file(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "toFile"))?;
    let name = lossy(&name);
    let (contents, ctx) = vm.expect_string(a[1]).trace(|| nth_arg(1, "toFile"))?;
    let mut refs = Vec::new();
    for c in &ctx {
        if c.starts_with('=') || c.starts_with('!') {
            return Err(other(format!(
                "files created by builtins.toFile may not reference derivations, but {name} references {c}"
            )));
        }
        refs.push(c.to_string());
    }
    let path = vm.io.text_path(&name, &contents, &refs).map_err(other)?;
    Ok(vm.new_string_ctx(path.clone().into_bytes(), vec![path.into()]))
}

/// `placeholder output`: `/` and the Nix base-32 SHA-256 of `nix-output:<output>`. O(length).
pub(super) fn placeholder(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let output = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "placeholder"))?;
    let mut text = b"nix-output:".to_vec();
    text.extend_from_slice(&output);
    let s = format!("/{}", nix32(&HashAlgo::Sha256.digest(&text)));
    Ok(vm.new_string(s.into_bytes()))
}

/// A path argument (CppNix's `coerceToPath`): a path, or a string starting with `/`.
fn coerce_to_path(vm: &mut Vm, v: Value) -> EvalResult<(String, Context)> {
    let (s, ctx) = vm.coerce_to_string(v, Coercion::Interpolation, false)?;
    if !s.starts_with(b"/") {
        return Err(EvalError::type_error(format!("string '{}' doesn't represent an absolute path", lossy(&s))));
    }
    Ok((lossy(&canon_path(&s)), ctx))
}

/// `storePath path`: `path`, which must be in the store, with the store path it is in as its
/// context. O(length).
pub(super) fn store_path(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (path, _) =
        coerce_to_path(vm, a[0]).trace(|| "while evaluating the first argument passed to 'builtins.storePath'".into())?;
    let dir = vm.io.store_dir();
    let rest = path.strip_prefix(&dir).and_then(|r| r.strip_prefix('/')).filter(|r| !r.is_empty());
    let Some(rest) = rest else {
        return Err(other(format!("path '{path}' is not in the Nix store")));
    };
    let base = rest.split('/').next().unwrap_or(rest);
    let store_path = format!("{dir}/{base}");
    Ok(vm.new_string_ctx(path.into_bytes(), vec![store_path.into()]))
}

/// The paths below `root` that `filter` rejects, calling it as CppNix's NAR dumper does: for
/// every entry of every directory kept, in name order, depth first. O(entries) calls.
fn rejected(vm: &mut Vm, root: &str, filter: Value) -> EvalResult<HashSet<String>> {
    let mut out = HashSet::new();
    if !matches!(vm.io.file_type(root), Ok(FileType::Directory)) {
        return Ok(out);
    }
    let mut stack = vec![root.to_string()];
    while let Some(dir) = stack.pop() {
        let entries = vm.io.read_dir(&dir).map_err(|e| other(format!("cannot read directory '{dir}': {e}")))?;
        let mut subdirs = Vec::new();
        for (name, _) in entries {
            let path = if dir == "/" { format!("/{name}") } else { format!("{dir}/{name}") };
            let ty = vm.io.file_type(&path).unwrap_or(FileType::Unknown);
            let p = vm.new_string(path.clone().into_bytes());
            let t = vm.new_string(ty.name().as_bytes());
            let r = vm.call2(filter, p, t);
            let keep = match r? {
                Value::Bool(b) => b,
                other => {
                    return Err(vm.expected(&other, "a Boolean"))
                        .trace(|| "while evaluating the return value of the path filter function".into())
                }
            };
            if !keep {
                out.insert(path);
            } else if ty == FileType::Directory {
                subdirs.push(path);
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(out)
}

/// Adds `path` under `name` (CppNix's `addPath`), checking `expected` (a SHA-256) if given.
fn add_path(
    vm: &mut Vm,
    path: &str,
    name: &str,
    filter: Option<Value>,
    recursive: bool,
    expected: Option<Vec<u8>>,
) -> EvalResult<Value> {
    let r = (|| {
        if !vm.io.path_exists(path) {
            return Err(other(format!("path '{path}' does not exist")));
        }
        let rejected = match filter {
            Some(f) => rejected(vm, path, f)?,
            None => HashSet::new(),
        };
        let keep = |p: &str| !rejected.contains(p);
        let (store_path, hash) = vm.io.add_path(path, name, recursive, Some(&keep)).map_err(other)?;
        if let Some(expected) = expected {
            if nix32(&expected) != hash {
                return Err(other(format!("store path mismatch in (possibly filtered) path added from '{path}'")));
            }
        }
        Ok(vm.new_string_ctx(store_path.clone().into_bytes(), vec![store_path.into()]))
    })();
    r.trace(|| format!("while adding path '{path}'"))
}

/// The last component of a path.
fn base_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
}

/// `path { path; name ? baseNameOf path; filter ? _: _: true; recursive ? true; sha256 ? null; }`.
/// O(size of the tree) hashing plus one filter call per entry.
pub(super) fn path(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| "while evaluating the argument passed to 'builtins.path'".into())?;
    let mut path = None;
    let mut name = Vec::new();
    let mut filter = None;
    let mut recursive = true;
    let mut expected = None;
    for (sym, value) in vm.heap.attrs(g).entries.clone() {
        match vm.symbols.name(sym) {
            b"path" => {
                path = Some(
                    coerce_to_path(vm, value)
                        .trace(|| "while evaluating the 'path' attribute passed to 'builtins.path'".into())?
                        .0,
                )
            }
            b"name" => {
                name = expect_string_no_ctx(vm, value)
                    .trace(|| "while evaluating the `name` attribute passed to builtins.path".into())?
            }
            b"filter" => {
                filter = Some(
                    vm.expect_function(value)
                        .trace(|| "while evaluating the `filter` parameter passed to builtins.path".into())?,
                )
            }
            b"recursive" => {
                recursive = vm
                    .expect_bool(value)
                    .trace(|| "while evaluating the `recursive` attribute passed to builtins.path".into())?
            }
            b"sha256" => {
                let s = expect_string_no_ctx(vm, value)
                    .trace(|| "while evaluating the `sha256` attribute passed to builtins.path".into())?;
                expected = Some(parse_hash(&lossy(&s), Some(HashAlgo::Sha256))?.1);
            }
            other_name => {
                return Err(other(format!("unsupported argument '{}' to 'addPath'", lossy(other_name))));
            }
        }
    }
    let Some(path) = path else {
        return Err(other("missing required 'path' attribute in the first argument to builtins.path"));
    };
    let name = if name.is_empty() { base_name(&path).to_string() } else { lossy(&name) };
    add_path(vm, &path, &name, filter, recursive, expected)
}

/// `filterSource filter path`: `path` with only what `filter` keeps, added recursively.
pub(super) fn filter_source(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (path, _) = coerce_to_path(vm, a[1])
        .trace(|| "while evaluating the second argument (the path to filter) passed to 'builtins.filterSource'".into())?;
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "filterSource"))?;
    let name = base_name(&path).to_string();
    add_path(vm, &path, &name, Some(f), true, None)
}
