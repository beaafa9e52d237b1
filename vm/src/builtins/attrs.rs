//! Set builtins: `catAttrs`, `intersectAttrs`, `zipAttrsWith` and `unsafeGetAttrPos`.

use super::{expect_str_no_ctx, expect_string_no_ctx, nth_arg, TraceExt};
use crate::error::EvalResult;
use crate::symbol::Symbol;
use crate::value::{Attrs, ThunkState, Value};
use crate::Vm;

/// O(n log m): the values of attribute `name` in the sets of the list that have it.
pub(super) fn cat_attrs(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_str_no_ctx(vm, a[0]).trace(|| nth_arg(0, "catAttrs"))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "catAttrs"))?;
    let sym = vm.intern_str(name);
    let n = vm.heap.list(l).len();
    let mut out = Vec::new();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let g = vm
            .expect_attrs(x)
            .trace(|| "while evaluating an element in the list passed as second argument to builtins.catAttrs".into())?;
        if let Some(v) = vm.heap.attrs(g).get(sym) {
            out.push(v);
        }
    }
    Ok(vm.new_list(out))
}

/// O(min(n, m) log max(n, m)): the attributes of the second set whose names the first set has.
pub(super) fn intersect_attrs(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let x = vm.expect_attrs(a[0]).trace(|| nth_arg(0, "intersectAttrs"))?;
    let y = vm.expect_attrs(a[1]).trace(|| nth_arg(1, "intersectAttrs"))?;
    // Both are sorted by symbol: the smaller one is walked and each name looked up in the
    // other (callPackage intersects a few arguments with a whole package set).
    let (ex, ey) = (&vm.heap.attrs(x).entries, &vm.heap.attrs(y).entries);
    let out: Vec<(Symbol, Value)> = if ex.len() <= ey.len() {
        ex.iter()
            .filter_map(|&(s, _)| ey.binary_search_by_key(&s, |e| e.0).ok().map(|k| ey[k]))
            .collect()
    } else {
        ey.iter().filter(|&&(s, _)| ex.binary_search_by_key(&s, |e| e.0).is_ok()).copied().collect()
    };
    Ok(vm.new_attrs(Attrs { entries: out, positions: None }))
}

/// O(total attributes) allocation; each value a lazy `f name [values...]`. `f` is forced to
/// a function first.
pub(super) fn zip_attrs_with(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "zipAttrsWith"))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "zipAttrsWith"))?;
    let n = vm.heap.list(l).len();
    let mut groups: Vec<(Symbol, Vec<Value>)> = Vec::new();
    let mut index: rustc_hash::FxHashMap<Symbol, usize> = Default::default();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let g = vm
            .expect_attrs(x)
            .trace(|| "while evaluating a value of the list passed as second argument to builtins.zipAttrsWith".into())?;
        for &(sym, v) in &vm.heap.attrs(g).entries {
            match index.get(&sym) {
                Some(&k) => groups[k].1.push(v),
                None => {
                    index.insert(sym, groups.len());
                    groups.push((sym, vec![v]));
                }
            }
        }
    }
    let entries = groups
        .into_iter()
        .map(|(sym, values)| {
            let values = vm.new_list(values);
            (sym, Value::Thunk(vm.heap.alloc_thunk(ThunkState::ApplyNamed { f, name: sym, arg: values, forcing: false })))
        })
        .collect();
    Ok(vm.new_attrs(Attrs::from_unsorted(entries)))
}

/// O(log n): `{ file, line, column }` of where the attribute is defined, or `null` when the set
/// was not written as a literal (sets from builtins and `//` keep no positions).
pub(super) fn unsafe_get_attr_pos(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "unsafeGetAttrPos"))?;
    let g = vm.expect_attrs(a[1]).trace(|| nth_arg(1, "unsafeGetAttrPos"))?;
    let Some(sym) = vm.symbols.lookup(&name) else { return Ok(Value::Null) };
    match vm.heap.attrs(g).position(sym) {
        Some(pos) => Ok(vm.position_value(pos)),
        None => Ok(Value::Null),
    }
}
