//! String builtins: `substring`, `stringLength`, `replaceStrings`, `concatStringsSep`,
//! `baseNameOf`, `dirOf`, and the string-context ones (`getContext`, `appendContext`, ...).
//! Strings are bytes; lengths and offsets count bytes, as in CppNix.

use super::{expect_string_no_ctx, lossy, nth_arg, TraceExt};
use crate::error::{EvalError, EvalResult};
use crate::ops::{merge_context, Coercion};
use crate::value::{Attrs, Context, Gc, Value};
use crate::Vm;

/// O(len) copy. Coerces the string as interpolation does (paths go to the store).
pub(super) fn substring(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let start = vm
        .expect_int(a[0])
        .trace(|| "while evaluating the first argument (the start offset) passed to builtins.substring".into())?;
    if start < 0 {
        return Err(EvalError::type_error("negative start position in 'substring'"));
    }
    let len = vm
        .expect_int(a[1])
        .trace(|| "while evaluating the second argument (the substring length) passed to builtins.substring".into())?;
    // An empty substring of a string keeps its context without copying it.
    if len == 0 {
        if let Value::String(g) = vm.force(a[2])? {
            let ctx = vm.heap.str(g).context.to_vec();
            return Ok(vm.new_string_ctx(Vec::new(), ctx));
        }
    }
    let slice = |s: &[u8]| {
        let start = start as usize;
        if start >= s.len() {
            Vec::new()
        } else {
            // A negative length means "to the end", as `std::string::substr` with `npos`.
            let end = if len < 0 { s.len() } else { start.saturating_add(len as usize).min(s.len()) };
            s[start..end].to_vec()
        }
    };
    let forced = vm
        .force(a[2])
        .trace(|| "while evaluating the third argument (the string) passed to builtins.substring".into())?;
    // A string is sliced where it is, without copying it whole first.
    if let Value::String(g) = forced {
        let s = vm.heap.str(g);
        let (out, ctx) = (slice(&s.bytes), s.context.to_vec());
        return Ok(vm.new_string_ctx(out, ctx));
    }
    let (s, ctx) = vm
        .coerce_to_string(forced, Coercion::Interpolation, true)
        .trace(|| "while evaluating the third argument (the string) passed to builtins.substring".into())?;
    Ok(vm.new_string_ctx(slice(&s), ctx))
}

/// O(n) for the coercion; the length in bytes.
pub(super) fn string_length(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let forced = vm.force(a[0]).trace(|| "while evaluating the argument passed to builtins.stringLength".into())?;
    // A string's length is read where it is; anything else is coerced first.
    if let Value::String(g) = forced {
        return Ok(Value::Int(vm.heap.str(g).bytes.len() as i64));
    }
    let (s, _) = vm
        .coerce_to_string(forced, Coercion::Interpolation, true)
        .trace(|| "while evaluating the argument passed to builtins.stringLength".into())?;
    Ok(Value::Int(s.len() as i64))
}

/// O(n * k) byte comparisons for a string of n bytes and k patterns; a replacement is forced
/// only when used.
pub(super) fn replace_strings(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let from = vm.expect_list(a[0]).trace(|| nth_arg(0, "replaceStrings"))?;
    let to = vm.expect_list(a[1]).trace(|| nth_arg(1, "replaceStrings"))?;
    let k = vm.heap.list(from).len();
    if k != vm.heap.list(to).len() {
        return Err(EvalError::type_error(
            "'from' and 'to' arguments passed to builtins.replaceStrings have different lengths",
        ));
    }
    let mut patterns = Vec::with_capacity(k);
    for i in 0..k {
        let x = vm.heap.list(from)[i];
        let (p, _) = vm
            .expect_string(x)
            .trace(|| "while evaluating one of the strings to replace passed to builtins.replaceStrings".into())?;
        patterns.push(p);
    }
    let mut replacements: Vec<Option<Vec<u8>>> = vec![None; k];
    let (s, mut ctx) = vm.expect_string(a[2]).trace(|| nth_arg(2, "replaceStrings"))?;
    let mut out = Vec::with_capacity(s.len());
    let mut p = 0;
    // One past the end, so that an empty pattern also matches at the end.
    while p <= s.len() {
        let hit = patterns.iter().position(|pat| s[p..].starts_with(pat));
        match hit {
            Some(j) => {
                if replacements[j].is_none() {
                    let x = vm.heap.list(to)[j];
                    let (r, c) = vm.expect_string(x).trace(|| {
                        "while evaluating one of the replacement strings passed to builtins.replaceStrings".into()
                    })?;
                    merge_context(&mut ctx, c);
                    replacements[j] = Some(r);
                }
                out.extend_from_slice(replacements[j].as_deref().unwrap_or_default());
                if patterns[j].is_empty() {
                    if p < s.len() {
                        out.push(s[p]);
                    }
                    p += 1;
                } else {
                    p += patterns[j].len();
                }
            }
            None => {
                if p < s.len() {
                    out.push(s[p]);
                }
                p += 1;
            }
        }
    }
    Ok(vm.new_string_ctx(out, ctx))
}

/// O(total length); the context is the union of the separator's and the elements'.
pub(super) fn concat_strings_sep(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (sep, mut ctx) = vm.expect_string(a[0]).trace(|| {
        "while evaluating the first argument (the separator string) passed to builtins.concatStringsSep".into()
    })?;
    let l = vm.expect_list(a[1]).trace(|| {
        "while evaluating the second argument (the list of strings to concat) passed to builtins.concatStringsSep"
            .into()
    })?;
    let n = vm.heap.list(l).len();
    // Every element is forced (in order) before anything is copied, so that the result is
    // allocated once at its size instead of growing (and being shrunk to fit at the end).
    // Strings are then copied straight from the heap; other elements are coerced here.
    enum Part {
        Heap(Gc),
        Coerced(Vec<u8>),
    }
    let mut parts: Vec<Part> = Vec::with_capacity(n);
    let mut len = sep.len() * n.saturating_sub(1);
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let x = vm.force(x).trace(|| {
            "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep".into()
        })?;
        if let Value::String(g) = x {
            let s = vm.heap.str(g);
            len += s.bytes.len();
            if !s.context.is_empty() {
                merge_context(&mut ctx, s.context.to_vec());
            }
            parts.push(Part::Heap(g));
            continue;
        }
        let (s, c) = vm.coerce_to_string(x, Coercion::Interpolation, true).trace(|| {
            "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep".into()
        })?;
        len += s.len();
        merge_context(&mut ctx, c);
        parts.push(Part::Coerced(s));
    }
    let mut out = Vec::with_capacity(len);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&sep);
        }
        match part {
            // (Still alive: each is the value of one of the list's elements, and the list is an
            // argument of this call, rooted; the collector never moves an object.)
            Part::Heap(g) => out.extend_from_slice(&vm.heap.str(*g).bytes),
            Part::Coerced(s) => out.extend_from_slice(s),
        }
    }
    Ok(vm.new_string_ctx(out, ctx))
}

/// The last component of a path string (CppNix's `baseNameOf`: one trailing slash is ignored).
pub fn base_name(s: &[u8]) -> &[u8] {
    if s.is_empty() {
        return s;
    }
    let mut last = s.len() - 1;
    if s[last] == b'/' && last > 0 {
        last -= 1;
    }
    let start = s[..=last].iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    if start > last {
        return &[];
    }
    &s[start..=last]
}

/// Everything before the last slash (CppNix's `dirOf` on strings): `.` without a slash.
pub fn dir_name(s: &[u8]) -> &[u8] {
    match s.iter().rposition(|&b| b == b'/') {
        None => b".",
        Some(0) => b"/",
        Some(i) => &s[..i],
    }
}

/// O(n). Paths are not copied to the store; the result is a string with the input's context.
pub(super) fn base_name_of(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, ctx) = vm.coerce_to_string(a[0], Coercion::Interpolation, false).trace(|| nth_arg(0, "baseNameOf"))?;
    let out = base_name(&s).to_vec();
    Ok(vm.new_string_ctx(out, ctx))
}

/// O(n). A path gives a path (the root is its own parent), anything else a string.
pub(super) fn dir_of(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    if let Value::Path(g) = v {
        let p = vm.heap.str(g).bytes.to_vec();
        let parent = dir_name(&p).to_vec();
        return Ok(vm.new_path(parent));
    }
    let (s, ctx) = vm
        .coerce_to_string(v, Coercion::Interpolation, false)
        .trace(|| "while evaluating the first argument passed to 'builtins.dirOf'".into())?;
    let out = dir_name(&s).to_vec();
    Ok(vm.new_string_ctx(out, ctx))
}

/// O(n) copy without the context.
pub(super) fn unsafe_discard_string_context(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, _) = vm
        .coerce_to_string(a[0], Coercion::Interpolation, true)
        .trace(|| "while evaluating the argument passed to builtins.unsafeDiscardStringContext".into())?;
    Ok(vm.new_string(s))
}

/// O(1) after forcing.
pub(super) fn has_context(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    match v {
        Value::String(g) => Ok(Value::Bool(!vm.heap.str(g).context.is_empty())),
        other => Err(vm.expected(&other, "a string")).trace(|| nth_arg(0, "hasContext")),
    }
}

/// The kinds of string-context element, decoded from their encoding in [`Context`].
enum Elem<'a> {
    /// A plain store path.
    Opaque(&'a str),
    /// `=drv`: a derivation with all its outputs.
    DrvDeep(&'a str),
    /// `!output!drv`: one output of a derivation.
    Built(&'a str, &'a str),
}

fn decode(e: &str) -> Elem<'_> {
    if let Some(drv) = e.strip_prefix('=') {
        Elem::DrvDeep(drv)
    } else if let Some(rest) = e.strip_prefix('!') {
        match rest.split_once('!') {
            Some((out, drv)) => Elem::Built(drv, out),
            None => Elem::Opaque(e),
        }
    } else {
        Elem::Opaque(e)
    }
}

/// O(c log c) for c context elements; `{ path = { path = true; allOutputs = true;
/// outputs = [ ... ]; }; }`, each field only where it applies.
pub(super) fn get_context(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (_, ctx) = vm.expect_string(a[0]).trace(|| nth_arg(0, "getContext"))?;
    #[derive(Default)]
    struct Info {
        path: bool,
        all: bool,
        outputs: Vec<String>,
    }
    let mut infos: std::collections::BTreeMap<String, Info> = Default::default();
    for e in &ctx {
        match decode(e) {
            Elem::Opaque(p) => infos.entry(p.into()).or_default().path = true,
            Elem::DrvDeep(p) => infos.entry(p.into()).or_default().all = true,
            Elem::Built(p, o) => infos.entry(p.into()).or_default().outputs.push(o.into()),
        }
    }
    let (path_s, all_s, outs_s) = (vm.intern(b"path"), vm.intern(b"allOutputs"), vm.intern(b"outputs"));
    let mut entries = Vec::new();
    for (p, mut info) in infos {
        let mut fields = Vec::new();
        if info.path {
            fields.push((path_s, Value::Bool(true)));
        }
        if info.all {
            fields.push((all_s, Value::Bool(true)));
        }
        if !info.outputs.is_empty() {
            info.outputs.sort();
            let outs = info.outputs.into_iter().map(|o| vm.new_string(o.into_bytes())).collect();
            let outs = vm.new_list(outs);
            fields.push((outs_s, outs));
        }
        let set = vm.new_attrs(Attrs::from_unsorted(fields));
        let sym = vm.intern(p.as_bytes());
        entries.push((sym, set));
    }
    Ok(vm.new_attrs(Attrs::from_unsorted(entries)))
}

/// Whether `p` looks like a store path: `/nix/store/<32 nix32 chars>-<name>`.
fn is_store_path(p: &str) -> bool {
    let Some(base) = p.strip_prefix("/nix/store/") else { return false };
    base.len() > 33
        && !base.contains('/')
        && base.as_bytes()[32] == b'-'
        && base[..32].bytes().all(|b| b"0123456789abcdfghijklmnpqrsvwxyz".contains(&b))
}

/// O(c log c) for c context entries added.
pub(super) fn append_context(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, mut ctx) = vm.expect_string(a[0]).trace(|| nth_arg(0, "appendContext"))?;
    let g = vm.expect_attrs(a[1]).trace(|| nth_arg(1, "appendContext"))?;
    let (path_s, all_s, outs_s) = (vm.intern(b"path"), vm.intern(b"allOutputs"), vm.intern(b"outputs"));
    let mut added: Context = Vec::new();
    for (sym, info) in vm.sorted_attrs(g) {
        let name = vm.symbols.text(sym);
        if !is_store_path(&name) {
            return Err(EvalError::type_error(format!("context key '{name}' is not a store path")));
        }
        let info = vm.expect_attrs(info)?;
        if let Some(p) = vm.heap.attrs(info).get(path_s) {
            if vm.expect_bool(p).trace(|| "while evaluating the `path` attribute of a string context".into())? {
                added.push(name.as_str().into());
            }
        }
        if let Some(p) = vm.heap.attrs(info).get(all_s) {
            if vm.expect_bool(p).trace(|| "while evaluating the `allOutputs` attribute of a string context".into())? {
                if !name.ends_with(".drv") {
                    return Err(EvalError::type_error(format!(
                        "tried to add all-outputs context of {name}, which is not a derivation, to a string"
                    )));
                }
                added.push(format!("={name}").into());
            }
        }
        if let Some(outs) = vm.heap.attrs(info).get(outs_s) {
            let l = vm.expect_list(outs).trace(|| "while evaluating the `outputs` attribute of a string context".into())?;
            let n = vm.heap.list(l).len();
            if n > 0 && !name.ends_with(".drv") {
                return Err(EvalError::type_error(format!(
                    "tried to add derivation output context of {name}, which is not a derivation, to a string"
                )));
            }
            for i in 0..n {
                let o = vm.heap.list(l)[i];
                let o = expect_string_no_ctx(vm, o)
                    .trace(|| "while evaluating an output name within a string context".into())?;
                added.push(format!("!{}!{name}", lossy(&o)).into());
            }
        }
    }
    merge_context(&mut ctx, added);
    Ok(vm.new_string_ctx(s, ctx))
}

/// O(c log c): all-outputs derivation dependencies become plain path dependencies.
pub(super) fn unsafe_discard_output_dependency(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, ctx) = vm.expect_string(a[0]).trace(|| nth_arg(0, "unsafeDiscardOutputDependency"))?;
    let mut out: Context = ctx.iter().map(|e| e.strip_prefix('=').unwrap_or(e).into()).collect();
    out.sort();
    out.dedup();
    Ok(vm.new_string_ctx(s, out))
}

/// O(1) after forcing: a string whose context is one derivation path gets the derivation's
/// outputs as context instead.
pub(super) fn add_drv_output_dependencies(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, ctx) = vm
        .expect_string(a[0])
        .trace(|| "while evaluating the argument passed to builtins.addDrvOutputDependencies".into())?;
    if ctx.len() != 1 {
        return Err(EvalError::type_error(format!(
            "context of string '{}' must have exactly one element, but has {}",
            lossy(&s),
            ctx.len()
        )));
    }
    let elem: Box<str> = match decode(&ctx[0]) {
        Elem::Opaque(p) => {
            if !p.ends_with(".drv") {
                return Err(EvalError::type_error(format!("path '{p}' is not a derivation")));
            }
            format!("={p}").into()
        }
        Elem::Built(_, out) => {
            return Err(EvalError::type_error(format!(
                "`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '{out}'"
            )))
        }
        Elem::DrvDeep(_) => ctx[0].clone(),
    };
    Ok(vm.new_string_ctx(s, vec![elem]))
}

#[cfg(test)]
mod tests {
    use super::{base_name, dir_name};

    #[test]
    fn base_names() {
        assert_eq!(base_name(b""), b"");
        assert_eq!(base_name(b"a/"), b"a");
        assert_eq!(base_name(b"a//"), b"");
        assert_eq!(base_name(b"a//b"), b"b");
        assert_eq!(base_name(b"/"), b"");
    }

    #[test]
    fn dir_names() {
        assert_eq!(dir_name(b""), b".");
        assert_eq!(dir_name(b"a///b"), b"a//");
        assert_eq!(dir_name(b"//"), b"/");
        assert_eq!(dir_name(b"///"), b"//");
    }
}
