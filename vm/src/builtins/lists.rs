//! List builtins that call back into Nix: `sort`, `concatMap`, `elem`, `all`, `any`,
//! `partition`, `groupBy` and `genericClosure`.

use std::cmp::Ordering;

use super::{expect_string_no_ctx, nth_arg, TraceExt};
use crate::error::{EvalError, EvalResult};
use crate::symbol::Symbol;
use crate::value::{Attrs, Value};
use crate::Vm;

/// Calls predicate `f` on `x` and demands a Boolean, naming `what` on failure.
fn call_pred(vm: &mut Vm, f: Value, x: Value, what: &str) -> EvalResult<bool> {
    let r = vm.call(f, x)?;
    vm.expect_bool(r).trace(|| format!("while evaluating the return value of {what}"))
}

/// How `sort` can compare without calling `f`: `Some(false)` when `f` is `lessThan` or
/// `a: b: a < b`, `Some(true)` when it is `a: b: b < a` (or `a > b`).
fn known_comparator(vm: &Vm, f: Value) -> Option<bool> {
    match f {
        Value::Builtin(id) if vm.builtins[id as usize].name == "lessThan" => Some(false),
        Value::Lambda(c) => vm.protos[vm.heap.closure(c).code.0 as usize].comparator,
        _ => None,
    }
}

/// Stable merge sort: O(n log n) calls of the comparator; the elements are forced first.
pub(super) fn sort(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "sort"))?;
    let n = vm.heap.list(l).len();
    if n == 0 {
        return Ok(a[1]);
    }
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "sort"))?;
    // Forced elements stay reachable through the (rooted) argument list's thunks.
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        items.push(vm.force(x)?);
    }
    let known = known_comparator(vm, f);
    let builtin = matches!(f, Value::Builtin(_));
    let mut less = |vm: &mut Vm, x: Value, y: Value| -> EvalResult<bool> {
        match known {
            Some(_) if builtin => return Ok(vm.compare(x, y)? == Ordering::Less),
            // A lambda's `<` that fails is called after all, for its error and trace.
            Some(swap) => {
                let (p, q) = if swap { (y, x) } else { (x, y) };
                if let Ok(r) = vm.less_than(p, q) {
                    return Ok(r);
                }
            }
            None => {}
        }
        let r = vm.call2(f, x, y)?;
        vm.expect_bool(r)
            .trace(|| "while evaluating the return value of the sorting function passed to builtins.sort".into())
    };
    merge_sort(vm, &mut items, &mut less)?;
    Ok(vm.new_list(items))
}

/// Bottom-up stable merge sort with a fallible comparator.
fn merge_sort(
    vm: &mut Vm,
    items: &mut Vec<Value>,
    less: &mut impl FnMut(&mut Vm, Value, Value) -> EvalResult<bool>,
) -> EvalResult<()> {
    let n = items.len();
    // Runs of 8 by insertion sort, then merges of doubling width.
    const RUN: usize = 8;
    for start in (0..n).step_by(RUN) {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let mut j = i;
            while j > start && less(vm, items[j], items[j - 1])? {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut width = RUN;
    let mut buf = Vec::with_capacity(n);
    while width < n {
        buf.clear();
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                // Take from the right only when strictly less: stability.
                if less(vm, items[j], items[i])? {
                    buf.push(items[j]);
                    j += 1;
                } else {
                    buf.push(items[i]);
                    i += 1;
                }
            }
            buf.extend_from_slice(&items[i..mid]);
            buf.extend_from_slice(&items[j..end]);
        }
        std::mem::swap(items, &mut buf);
        width *= 2;
    }
    Ok(())
}

/// O(n) calls of `f`, plus O(total length) copying.
pub(super) fn concat_map(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "concatMap"))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "concatMap"))?;
    let n = vm.heap.list(l).len();
    let mark = vm.roots.len();
    let mut out = Vec::new();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let r = vm.call(f, x)?;
        let inner = vm.expect_list(r).trace_at(vm.lambda_pos(f), || {
            "while evaluating the return value of the function passed to builtins.concatMap".into()
        })?;
        // The result lists are not reachable from the arguments: keep them rooted.
        vm.root(r);
        out.extend_from_slice(vm.heap.list(inner));
    }
    let v = vm.new_list(out);
    vm.unroot(mark);
    Ok(v)
}

/// O(n) equality tests, stopping at the first match.
pub(super) fn elem(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "elem"))?;
    let n = vm.heap.list(l).len();
    if n == 0 {
        return Ok(Value::Bool(false));
    }
    // `==` forces the needle first at every step: once is the same. A scalar or string
    // needle is then compared with each evaluated element directly; a set, list or function
    // goes through the deep comparison, as a value in the heap (a function is an element of
    // a list that holds that very function).
    let needle = vm.force(a[0])?;
    let leaf = needle.is_leaf();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let eq = match leaf {
            true => match vm.shallow_equal(needle, vm.peek(x)) {
                Some(eq) => eq,
                None => vm.equal(needle, x)?,
            },
            false => vm.equal_deep(needle, x, false)?,
        };
        if eq {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn any_or_all(vm: &mut Vm, a: &[Value], any: bool) -> EvalResult<Value> {
    let name = if any { "any" } else { "all" };
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, name))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, name))?;
    let n = vm.heap.list(l).len();
    let what = format!("the function passed to builtins.{name}");
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        if call_pred(vm, f, x, &what)? == any {
            return Ok(Value::Bool(any));
        }
    }
    Ok(Value::Bool(!any))
}

/// At most n calls of the predicate, stopping at the first `false`.
pub(super) fn all(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    any_or_all(vm, a, false)
}

/// At most n calls of the predicate, stopping at the first `true`.
pub(super) fn any(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    any_or_all(vm, a, true)
}

/// O(n) calls of the predicate; `{ right = [...]; wrong = [...]; }` in list order.
pub(super) fn partition(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "partition"))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "partition"))?;
    let n = vm.heap.list(l).len();
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        if call_pred(vm, f, x, "the partition function passed to builtins.partition")? {
            right.push(x);
        } else {
            wrong.push(x);
        }
    }
    let right = vm.new_list(right);
    let wrong = vm.new_list(wrong);
    let (rs, ws) = (vm.syms.right, vm.syms.wrong);
    Ok(vm.new_attrs(Attrs::from_unsorted(vec![(rs, right), (ws, wrong)])))
}

/// O(n) calls of the grouping function, O(n log g) for g groups.
pub(super) fn group_by(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "groupBy"))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "groupBy"))?;
    let n = vm.heap.list(l).len();
    let mut groups: Vec<(Symbol, Vec<Value>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<Symbol, usize> = Default::default();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let k = vm.call(f, x)?;
        let k = expect_string_no_ctx(vm, k).trace(|| {
            "while evaluating the return value of the grouping function passed to builtins.groupBy".into()
        })?;
        let sym = vm.intern(&k);
        match index.get(&sym) {
            Some(&g) => groups[g].1.push(x),
            None => {
                index.insert(sym, groups.len());
                groups.push((sym, vec![x]));
            }
        }
    }
    let entries = groups.into_iter().map(|(s, items)| (s, vm.new_list(items))).collect();
    Ok(vm.new_attrs(Attrs::from_unsorted(entries)))
}

/// O(r) calls of `operator` for r results, O(r log r) key comparisons.
pub(super) fn generic_closure(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let args = vm.expect_attrs(a[0]).trace(|| nth_arg(0, "genericClosure"))?;
    let in_set = || "in the attrset passed as argument to builtins.genericClosure".to_string();
    let start_sym = vm.intern(b"startSet");
    let Some(start) = vm.heap.attrs(args).get(start_sym) else {
        return Err(EvalError::type_error("attribute 'startSet' missing")).trace(in_set);
    };
    let start = vm
        .expect_list(start)
        .trace(|| "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure".into())?;
    let mut work: std::collections::VecDeque<Value> = vm.heap.list(start).iter().copied().collect();
    if work.is_empty() {
        return Ok(vm.new_list(Vec::new()));
    }
    let op_sym = vm.intern(b"operator");
    let Some(op) = vm.heap.attrs(args).get(op_sym) else {
        return Err(EvalError::type_error("attribute 'operator' missing")).trace(in_set);
    };
    let op = vm
        .expect_function(op)
        .trace(|| "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure".into())?;
    let key_sym = vm.intern(b"key");
    let mark = vm.roots.len();
    // Every value met is rooted (the work list comes from operator results that nothing else
    // holds); the builtin's caller drops these roots on error.
    for &v in &work {
        vm.root(v);
    }
    // Keys seen, sorted by Nix's ordering.
    let mut done: Vec<(Value, Value)> = Vec::new();
    let mut out = Vec::new();
    while let Some(e) = work.pop_front() {
        let g = match vm.force(e).and_then(|v| match v {
            Value::Attrs(g) => Ok(g),
            other => Err(vm.expected(&other, "a set")),
        }) {
            Ok(g) => g,
            Err(err) => {
                let shown = vm.show(e);
                return Err(err).trace(|| format!("in genericClosure element {shown}"));
            }
        };
        let Some(key) = vm.heap.attrs(g).get(key_sym) else {
            let shown = vm.show(Value::Attrs(g));
            return Err(EvalError::type_error("attribute 'key' missing"))
                .trace(|| format!("in genericClosure element {shown}"));
        };
        let key = vm.force(key)?;
        vm.root(key);
        // Binary search for the key among those seen.
        let (mut lo, mut hi) = (0, done.len());
        let mut found = false;
        while lo < hi {
            let mid = (lo + hi) / 2;
            let ord = match vm.compare(key, done[mid].0) {
                Ok(o) => o,
                Err(err) => {
                    let (this, other) = (vm.show(Value::Attrs(g)), vm.show(done[mid].1));
                    return Err(err)
                        .trace(|| format!("with element {other}"))
                        .trace(|| format!("while comparing element {this}"));
                }
            };
            match ord {
                Ordering::Less => hi = mid,
                Ordering::Greater => lo = mid + 1,
                Ordering::Equal => {
                    found = true;
                    break;
                }
            }
        }
        if found {
            continue;
        }
        done.insert(lo, (key, Value::Attrs(g)));
        out.push(Value::Attrs(g));
        let r = vm.call(op, Value::Attrs(g));
        let r = match r {
            Ok(r) => r,
            Err(err) => {
                let shown = vm.show(Value::Attrs(g));
                return Err(err).trace(|| format!("while calling operator on genericClosure element {shown}"));
            }
        };
        let l = match vm.expect_list(r) {
            Ok(l) => l,
            Err(err) => {
                let shown = vm.show(Value::Attrs(g));
                return Err(err)
                    .trace(|| {
                        "while evaluating the return value of the `operator` passed to builtins.genericClosure".into()
                    })
                    .trace(|| format!("while calling operator on genericClosure element {shown}"));
            }
        };
        vm.root(r);
        work.extend(vm.heap.list(l).iter().copied());
    }
    let v = vm.new_list(out);
    vm.unroot(mark);
    Ok(v)
}
