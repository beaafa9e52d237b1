//! Version strings: `splitVersion`, `compareVersions` and `parseDrvName`, with CppNix's
//! component rules (digit runs and non-digit runs; `.` and `-` separate; `pre` sorts first).

use std::cmp::Ordering;

use super::{expect_string_no_ctx, nth_arg, TraceExt};
use crate::error::EvalResult;
use crate::value::{Attrs, Value};
use crate::Vm;

/// The next component of `s` from `*pos` on, advancing `*pos` past it; empty at the end.
fn next_component<'a>(s: &'a [u8], pos: &mut usize) -> &'a [u8] {
    while *pos < s.len() && matches!(s[*pos], b'.' | b'-') {
        *pos += 1;
    }
    let start = *pos;
    if *pos < s.len() && s[*pos].is_ascii_digit() {
        while *pos < s.len() && s[*pos].is_ascii_digit() {
            *pos += 1;
        }
    } else {
        while *pos < s.len() && !s[*pos].is_ascii_digit() && !matches!(s[*pos], b'.' | b'-') {
            *pos += 1;
        }
    }
    &s[start..*pos]
}

fn as_int(c: &[u8]) -> Option<i64> {
    std::str::from_utf8(c).ok()?.parse().ok()
}

fn components_lt(c1: &[u8], c2: &[u8]) -> bool {
    let (n1, n2) = (as_int(c1), as_int(c2));
    match (n1, n2) {
        (Some(a), Some(b)) => a < b,
        _ if c1.is_empty() && n2.is_some() => true,
        _ if c1 == b"pre" && c2 != b"pre" => true,
        _ if c2 == b"pre" => false,
        // `2.3a` < `2.3.1`.
        (_, Some(_)) => true,
        (Some(_), _) => false,
        _ => c1 < c2,
    }
}

/// Compares two version strings as `builtins.compareVersions` does.
pub fn compare_version_strings(v1: &[u8], v2: &[u8]) -> Ordering {
    let (mut p1, mut p2) = (0, 0);
    while p1 < v1.len() || p2 < v2.len() {
        let c1 = next_component(v1, &mut p1);
        let c2 = next_component(v2, &mut p2);
        if components_lt(c1, c2) {
            return Ordering::Less;
        }
        if components_lt(c2, c1) {
            return Ordering::Greater;
        }
    }
    Ordering::Equal
}

/// O(n + m).
pub(super) fn compare_versions(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v1 = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "compareVersions"))?;
    let v2 = expect_string_no_ctx(vm, a[1]).trace(|| nth_arg(1, "compareVersions"))?;
    Ok(Value::Int(match compare_version_strings(&v1, &v2) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

/// O(n).
pub(super) fn split_version(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let s = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "splitVersion"))?;
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < s.len() {
        let c = next_component(&s, &mut pos);
        if c.is_empty() {
            break;
        }
        let c = c.to_vec();
        out.push(vm.new_string(c));
    }
    Ok(vm.new_list(out))
}

/// O(n): the name is everything before the first `-` not followed by a letter.
pub(super) fn parse_drv_name(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let s = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "parseDrvName"))?;
    let split = (0..s.len()).find(|&i| s[i] == b'-' && i + 1 < s.len() && !s[i + 1].is_ascii_alphabetic());
    let (name, version) = match split {
        Some(i) => (s[..i].to_vec(), s[i + 1..].to_vec()),
        None => (s.clone(), Vec::new()),
    };
    let name = vm.new_string(name);
    let version = vm.new_string(version);
    let (ns, vs) = (vm.syms.name, vm.intern(b"version"));
    Ok(vm.new_attrs(Attrs::from_unsorted(vec![(ns, name), (vs, version)])))
}
