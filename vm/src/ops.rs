//! Nix's operators and coercions: arithmetic, comparison, equality, `++`, `//`, and the rules
//! for turning values into strings.

use std::cmp::Ordering;

use lix_compiler::Op;

use crate::error::{ErrorKind, EvalError, EvalResult, Pos, TraceEntry};
use crate::gc::Obj;
use crate::symbol::Symbol;
use crate::value::{Attrs, Context, Value};
use crate::Vm;

/// How far string coercion goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coercion {
    /// Interpolation: strings, paths and sets with `__toString`/`outPath` only.
    Interpolation,
    /// `toString`: also numbers, Booleans, null and lists.
    ToString,
}

impl Vm {
    /// `expected {what} but found {type}: {value}`.
    #[inline(never)]
    pub fn expected(&self, v: &Value, what: &str) -> EvalError {
        EvalError::type_error(format!("expected {what} but found {}: {}", v.show_type(), self.show(*v)))
    }

    /// The operators `+ - * /`. `+` is CppNix's `ExprConcatStrings` (numbers add, anything else
    /// concatenates as a string or path); `-`, `*` and `/` are calls of the builtins `sub`,
    /// `mul` and `div` in CppNix, so they fail as those do.
    #[inline(never)]
    pub(crate) fn arith(&mut self, op: Op, a: Value, b: Value) -> EvalResult<Value> {
        use Value::{Float, Int};
        match (op, a, b) {
            (Op::Add, Int(x), Int(y)) => x.checked_add(y).map(Int).ok_or_else(|| overflow("adding", x, "+", y)),
            (Op::Add, Int(_) | Float(_), Int(_) | Float(_)) => Ok(Float(as_float(a) + as_float(b))),
            (Op::Add, Int(_), _) => Err(EvalError::type_error(format!("cannot add {} to an integer", b.show_type()))),
            (Op::Add, Float(_), _) => Err(EvalError::type_error(format!("cannot add {} to a float", b.show_type()))),
            (Op::Add, Value::Path(p), _) => {
                let mut s = self.heap.str(p).bytes.to_vec();
                let (tail, ctx) = self
                    .coerce_to_string(b, Coercion::Interpolation, false)
                    .map_err(path_segment)?;
                if !ctx.is_empty() {
                    return Err(EvalError::type_error(
                        "a string that refers to a store path cannot be appended to a path",
                    ));
                }
                s.extend_from_slice(&tail);
                let canon = canon_path(&s);
                Ok(self.new_path(canon))
            }
            (Op::Add, Value::String(x), Value::String(y)) => {
                // The common case, copied once into a string of the exact size (the general
                // path below copies each side out first and grows the result as it goes).
                let (x, y) = (self.heap.str(x), self.heap.str(y));
                let mut s = Vec::with_capacity(x.bytes.len() + y.bytes.len());
                s.extend_from_slice(&x.bytes);
                s.extend_from_slice(&y.bytes);
                let mut ctx = x.context.to_vec();
                if !y.context.is_empty() {
                    merge_context(&mut ctx, y.context.to_vec());
                }
                Ok(self.new_string_ctx(s, ctx))
            }
            (Op::Add, _, _) => {
                let copy = matches!(a, Value::String(_));
                let (mut s, mut ctx) =
                    self.coerce_to_string(a, Coercion::Interpolation, copy).map_err(path_segment)?;
                let (tail, ctx2) =
                    self.coerce_to_string(b, Coercion::Interpolation, copy).map_err(path_segment)?;
                s.extend_from_slice(&tail);
                merge_context(&mut ctx, ctx2);
                Ok(self.new_string_ctx(s, ctx))
            }
            _ => self.builtin_arith(op, a, b),
        }
    }

    /// The builtins `add`, `sub`, `mul` and `div` on forced arguments, with CppNix's checks in
    /// CppNix's order (`div` checks its divisor first).
    pub fn builtin_arith(&mut self, op: Op, a: Value, b: Value) -> EvalResult<Value> {
        use Value::{Float, Int};
        let (noun, verb, sym, arg) = match op {
            Op::Add => ("addition", "adding", "+", "argument"),
            Op::Sub => ("subtraction", "subtracting", "-", "argument"),
            Op::Mul => ("multiplication", "multiplying", "*", "argument"),
            _ => ("division", "dividing", "/", "operand"),
        };
        let ctx = |which: &str| format!("while evaluating the {which} {arg} of the {noun}");
        let float = |vm: &Vm, v: Value, which: &str| match v {
            Int(i) => Ok(i as f64),
            Float(f) => Ok(f),
            _ => Err(with_trace(vm.expected(&v, "a float"), ctx(which))),
        };
        let int = |vm: &Vm, v: Value, which: &str| match v {
            Int(i) => Ok(i),
            _ => Err(with_trace(vm.expected(&v, "an integer"), ctx(which))),
        };
        let any_float = matches!(a, Float(_)) || matches!(b, Float(_));
        if op == Op::Div {
            let divisor = float(self, b, "second")?;
            if divisor == 0.0 {
                return Err(EvalError::type_error("division by zero"));
            }
            if any_float {
                return Ok(Float(float(self, a, "first")? / divisor));
            }
            let (x, y) = (int(self, a, "first")?, int(self, b, "second")?);
            return x.checked_div(y).map(Int).ok_or_else(|| overflow(verb, x, sym, y));
        }
        if any_float {
            let (x, y) = (float(self, a, "first")?, float(self, b, "second")?);
            return Ok(Float(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                _ => x * y,
            }));
        }
        let (x, y) = (int(self, a, "first")?, int(self, b, "second")?);
        let r = match op {
            Op::Add => x.checked_add(y),
            Op::Sub => x.checked_sub(y),
            _ => x.checked_mul(y),
        };
        r.map(Int).ok_or_else(|| overflow(verb, x, sym, y))
    }

    #[inline(never)]
    pub(crate) fn less_than(&mut self, a: Value, b: Value) -> EvalResult<bool> {
        Ok(self.compare(a, b)? == Ordering::Less)
    }

    /// Nix's ordering (`<`, `sort` with `lessThan`): numbers, strings, paths, and lists
    /// lexicographically.
    pub fn compare(&mut self, a: Value, b: Value) -> EvalResult<Ordering> {
        use Value::{Float, Int};
        let a = self.force(a)?;
        let b = self.force(b)?;
        match (a, b) {
            (Int(x), Int(y)) => Ok(x.cmp(&y)),
            (Int(_) | Float(_), Int(_) | Float(_)) => {
                Ok(as_float(a).partial_cmp(&as_float(b)).unwrap_or(Ordering::Equal))
            }
            (Value::String(x), Value::String(y)) | (Value::Path(x), Value::Path(y)) => {
                Ok(self.heap.str(x).bytes.cmp(&self.heap.str(y).bytes))
            }
            (Value::List(x), Value::List(y)) => {
                // As CppNix: equal elements are skipped by `==` (so `[ { } ] < [ { } ]` is
                // false, not an error), the first unequal pair decides.
                let mut i = 0;
                let mark = self.root(a);
                self.root(b);
                let r = loop {
                    let (lx, ly) = (self.heap.list(x).len(), self.heap.list(y).len());
                    if i == lx || i == ly {
                        break Ok(lx.cmp(&ly));
                    }
                    let (ex, ey) = (self.heap.list(x)[i], self.heap.list(y)[i]);
                    match self.equal(ex, ey) {
                        Ok(true) => i += 1,
                        Ok(false) => {
                            break self
                                .compare(ex, ey)
                                .map_err(|e| with_trace(e, "while comparing two list elements".into()))
                        }
                        Err(e) => break Err(e),
                    }
                };
                self.unroot(mark);
                r
            }
            _ if std::mem::discriminant(&a) != std::mem::discriminant(&b) => Err(EvalError::type_error(format!(
                "cannot compare {} with {}; values are {} and {}",
                a.show_type(),
                b.show_type(),
                self.show(a),
                self.show(b)
            ))),
            _ => Err(EvalError::type_error(format!(
                "cannot compare {} with {}; values of that type are incomparable (values are {} and {})",
                a.show_type(),
                b.show_type(),
                self.show(a),
                self.show(b)
            ))),
        }
    }

    /// Nix's `==`: deep, numbers across int and float, derivations by `outPath`, functions
    /// never equal (unless the very same value inside a container).
    #[inline]
    pub fn equal(&mut self, a: Value, b: Value) -> EvalResult<bool> {
        // Evaluated scalars and strings (most comparisons) need neither roots nor a stack
        // check.
        if let Some(eq) = self.shallow_equal(self.peek(a), self.peek(b)) {
            return Ok(eq);
        }
        self.equal_deep(a, b, true)
    }

    /// [`Self::equal`] for values that must be forced or are containers or functions. With
    /// `top` false, `a` and `b` compare as values stored in the heap, as list elements do:
    /// the very same function is equal to itself (so `elem f [ f ]` holds, as in CppNix,
    /// while `f == f` does not).
    #[inline(never)]
    pub(crate) fn equal_deep(&mut self, a: Value, b: Value, top: bool) -> EvalResult<bool> {
        let mark = self.root(a);
        self.root(b);
        let r = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.equal_inner(a, b, top));
        self.unroot(mark);
        r
    }

    /// `a == b` when both are scalars, strings or paths (not thunks): nothing to force, no
    /// recursion. `None` for any other pair.
    #[inline(always)]
    pub(crate) fn shallow_equal(&self, a: Value, b: Value) -> Option<bool> {
        use Value::*;
        Some(match (a, b) {
            (Int(x), Int(y)) => x == y,
            (Float(x), Float(y)) => x == y,
            (Int(x), Float(y)) | (Float(y), Int(x)) => x as f64 == y,
            (Bool(x), Bool(y)) => x == y,
            (Null, Null) => true,
            (String(x), String(y)) | (Path(x), Path(y)) => x == y || self.heap.str(x).bytes == self.heap.str(y).bytes,
            _ if a.is_leaf() && b.is_leaf() => false,
            _ => return None,
        })
    }

    fn equal_inner(&mut self, a: Value, b: Value, top: bool) -> EvalResult<bool> {
        use Value::*;
        if !top {
            if let (Thunk(x), Thunk(y)) = (a, b) {
                if x == y {
                    return Ok(true);
                }
            }
        }
        let a = self.force(a)?;
        let b = self.force(b)?;
        if let Some(eq) = self.shallow_equal(a, b) {
            return Ok(eq);
        }
        Ok(match (a, b) {
            (List(x), List(y)) => {
                if x == y {
                    return Ok(true);
                }
                let n = self.heap.list(x).len();
                if n != self.heap.list(y).len() {
                    return Ok(false);
                }
                for i in 0..n {
                    let (ex, ey) = (self.heap.list(x)[i], self.heap.list(y)[i]);
                    if !self.equal_inner(ex, ey, false)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Attrs(x), Attrs(y)) => {
                if x == y {
                    return Ok(true);
                }
                if self.is_derivation(x)? && self.is_derivation(y)? {
                    let (ox, oy) = (self.heap.attrs(x).get(self.syms.out_path), self.heap.attrs(y).get(self.syms.out_path));
                    if let (Some(ox), Some(oy)) = (ox, oy) {
                        return self.equal_inner(ox, oy, false);
                    }
                }
                let n = self.heap.attrs(x).entries.len();
                if n != self.heap.attrs(y).entries.len() {
                    return Ok(false);
                }
                for i in 0..n {
                    let (sx, vx) = self.heap.attrs(x).entries[i];
                    let (sy, vy) = self.heap.attrs(y).entries[i];
                    if sx != sy {
                        return Ok(false);
                    }
                    if !self.equal_inner(vx, vy, false)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Lambda(x), Lambda(y)) => !top && x == y,
            _ => false,
        })
    }

    /// The error of a failed `assert a == b`: why the values differ, as CppNix's
    /// `assertEqValues` explains it, framed "while evaluating the condition of the assertion".
    /// `eq` is the position of the `==`, `assert` that of the assertion, `condition` the
    /// condition as printed in `assertion '…' failed`. Errors while forcing are returned as
    /// they are.
    #[inline(never)]
    pub fn assert_equal_error(&mut self, a: Value, b: Value, eq: Option<Pos>, assert: Option<Pos>, condition: &str) -> EvalError {
        let mark = self.root(a);
        self.root(b);
        let r = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.explain_inequality(a, b, eq));
        self.unroot(mark);
        let mut e = match r {
            Err(e) => e,
            Ok(()) => EvalError::new(ErrorKind::Assert, format!("assertion '{condition}' failed")),
        };
        if e.kind == ErrorKind::Assert {
            e.trace.push(TraceEntry {
                message: format!("while evaluating the condition of the assertion '{condition}'"),
                pos: assert,
            });
        }
        e
    }

    /// `Ok` if `a == b`, else an assertion error saying where they differ (innermost frames
    /// first: "while comparing attribute 'x'", "while comparing list element 0").
    pub fn explain_inequality(&mut self, a: Value, b: Value, eq: Option<Pos>) -> EvalResult<()> {
        use Value::*;
        let a = self.force(a)?;
        let b = self.force(b)?;
        let fail = |m: std::string::String| Err(EvalError::new(ErrorKind::Assert, m));
        let frame = |mut e: EvalError, message: std::string::String| {
            e.trace.push(TraceEntry { message, pos: eq });
            e
        };
        match (a, b) {
            (Int(_) | Float(_), Int(_) | Float(_)) => {
                let same = match (a, b) {
                    (Int(x), Int(y)) => x == y,
                    _ => as_float(a) == as_float(b),
                };
                if same {
                    return Ok(());
                }
                fail(format!(
                    "{} with value '{}' is not equal to {} with value '{}'",
                    a.show_type(),
                    self.show(a),
                    b.show_type(),
                    self.show(b)
                ))
            }
            _ if std::mem::discriminant(&a) != std::mem::discriminant(&b)
                && !(a.is_function() && b.is_function()) =>
            {
                fail(format!(
                    "{} of value '{}' is not equal to {} of value '{}'",
                    a.show_type(),
                    self.show(a),
                    b.show_type(),
                    self.show(b)
                ))
            }
            (Null, Null) => Ok(()),
            (Bool(x), Bool(y)) if x == y => Ok(()),
            (Bool(x), Bool(y)) => fail(format!("boolean '{x}' is not equal to boolean '{y}'")),
            (String(x), String(y)) if self.heap.str(x).bytes == self.heap.str(y).bytes => Ok(()),
            (String(_), String(_)) => fail(format!("string '{}' is not equal to string '{}'", self.show(a), self.show(b))),
            (Path(x), Path(y)) if self.heap.str(x).bytes == self.heap.str(y).bytes => Ok(()),
            (Path(_), Path(_)) => fail(format!("path '{}' is not equal to path '{}'", self.show(a), self.show(b))),
            (List(x), List(y)) => {
                let (lx, ly) = (self.heap.list(x).len(), self.heap.list(y).len());
                if lx != ly {
                    return fail(format!(
                        "list of size '{lx}' is not equal to list of size '{ly}', left hand side is '{}', right hand side is '{}'",
                        self.show(a),
                        self.show(b)
                    ));
                }
                for i in 0..lx {
                    let (ex, ey) = (self.heap.list(x)[i], self.heap.list(y)[i]);
                    if self.equal_inner(ex, ey, false)? {
                        continue;
                    }
                    return self.explain_inequality(ex, ey, eq).map_err(|e| frame(e, format!("while comparing list element {i}")));
                }
                Ok(())
            }
            (Attrs(x), Attrs(y)) => {
                if self.is_derivation(x)? && self.is_derivation(y)? {
                    let (ox, oy) = (self.heap.attrs(x).get(self.syms.out_path), self.heap.attrs(y).get(self.syms.out_path));
                    if let (Some(ox), Some(oy)) = (ox, oy) {
                        return self.explain_inequality(ox, oy, eq).map_err(|e| {
                            frame(e, "while comparing a derivation by its 'outPath' attribute".into())
                        });
                    }
                }
                let n = self.heap.attrs(x).entries.len();
                if n != self.heap.attrs(y).entries.len() {
                    return fail(format!(
                        "attribute names of attribute set '{}' differs from attribute set '{}'",
                        self.show(a),
                        self.show(b)
                    ));
                }
                for i in 0..n {
                    let (sx, vx) = self.heap.attrs(x).entries[i];
                    let (sy, vy) = self.heap.attrs(y).entries[i];
                    if sx != sy {
                        let (name, how) = if self.heap.attrs(y).get(sx).is_none() {
                            (sx, "is contained in '{a}', but not in '{b}'")
                        } else {
                            (sy, "is missing in '{a}', but is contained in '{b}'")
                        };
                        let how = how.replace("{a}", &self.show(a)).replace("{b}", &self.show(b));
                        return fail(format!("attribute name '{}' {how}", self.symbols.text(name)));
                    }
                    if self.equal_inner(vx, vy, false)? {
                        continue;
                    }
                    // Where each side's attribute is defined (no position for sets not
                    // written as literals), then the attribute being compared.
                    let (px, py) = (self.heap.attrs(x).position(sx), self.heap.attrs(y).position(sy));
                    return self.explain_inequality(vx, vy, eq).map_err(|mut e| {
                        e.trace.push(TraceEntry { message: "where right hand side is".into(), pos: py });
                        e.trace.push(TraceEntry { message: "where left hand side is".into(), pos: px });
                        frame(e, format!("while comparing attribute '{}'", self.symbols.text(sx)))
                    });
                }
                Ok(())
            }
            (Lambda(_) | Builtin(_) | PrimApp(_), _) => {
                fail("distinct functions and immediate comparisons of identical functions compare as unequal".into())
            }
            _ => Ok(()),
        }
    }

    /// `attribute 'NAME' missing`, with CppNix's suggestions from the names of `set` (those at
    /// edit distance 2 or less, closest first, at most 5) on a line of its own.
    #[inline(never)]
    pub fn missing_attr(&self, name: Symbol, set: Option<crate::value::Gc>) -> EvalError {
        let mut message = format!("attribute '{}' missing", self.symbols.text(name));
        if let Some(g) = set {
            let names = self.heap.attrs(g).entries.iter().map(|(s, _)| self.symbols.name(*s));
            message.push_str(&self.did_you_mean(self.symbols.name(name), names));
        }
        EvalError::type_error(message)
    }

    /// CppNix's suggestions for a name that is not there: `\nDid you mean a?` or `\nDid you
    /// mean one of a, b or c?` with the candidates at edit distance 2 or less, closest first
    /// (then by name), at most 5; empty when none is close.
    pub(crate) fn did_you_mean<'a>(&self, wanted: &[u8], candidates: impl IntoIterator<Item = &'a [u8]>) -> String {
        let mut close: Vec<(usize, &[u8])> =
            candidates.into_iter().map(|n| (levenshtein(wanted, n), n)).filter(|(d, _)| *d <= 2).collect();
        close.sort();
        close.dedup();
        close.truncate(5);
        let names: Vec<String> = close.iter().map(|(_, n)| String::from_utf8_lossy(n).into_owned()).collect();
        match names.split_last() {
            None => String::new(),
            Some((only, [])) => format!("\n{DID_YOU_MEAN}{only}?"),
            Some((last, rest)) => format!("\n{DID_YOU_MEAN}one of {} or {last}?", rest.join(", ")),
        }
    }

    /// Whether set `g` is a derivation (`type = "derivation"`), forcing `type`.
    pub fn is_derivation(&mut self, g: crate::value::Gc) -> EvalResult<bool> {
        let Some(t) = self.heap.attrs(g).get(self.syms.type_) else { return Ok(false) };
        Ok(match self.force(t)? {
            Value::String(s) if Some(s) == self.memo.derivation_type => true,
            Value::String(s) if &*self.heap.str(s).bytes == b"derivation" => {
                self.memo.derivation_type = Some(s);
                true
            }
            _ => false,
        })
    }

    #[inline(never)]
    pub(crate) fn concat_lists(&mut self, a: Value, b: Value) -> EvalResult<Value> {
        let Value::List(x) = a else { return Err(self.expected(&a, "a list")) };
        let Value::List(y) = b else { return Err(self.expected(&b, "a list")) };
        let (lx, ly) = (self.heap.list(x), self.heap.list(y));
        if lx.is_empty() {
            return Ok(b);
        }
        if ly.is_empty() {
            return Ok(a);
        }
        let items = joined(lx, ly);
        Ok(self.new_list(items))
    }

    /// `a ++ [ … ]` for the `n` items on top of the stack, with `a` below them; pops all.
    #[inline(never)]
    pub(crate) fn append(&mut self, n: usize) -> EvalResult<Value> {
        let at = self.stack.len() - n;
        let a = self.stack[at - 1];
        let Value::List(x) = a else { return Err(self.expected(&a, "a list")) };
        let items = joined(self.heap.list(x), &self.stack[at..]);
        self.stack.truncate(at - 1);
        Ok(self.new_list(items))
    }

    #[inline(never)]
    pub(crate) fn update(&mut self, a: Value, b: Value) -> EvalResult<Value> {
        let Value::Attrs(x) = a else { return Err(self.expected(&a, "a set")) };
        let Value::Attrs(y) = b else { return Err(self.expected(&b, "a set")) };
        let (ax, ay) = (&self.heap.attrs(x).entries, &self.heap.attrs(y).entries);
        if ay.is_empty() {
            return Ok(a);
        }
        if ax.is_empty() {
            return Ok(b);
        }
        let mut out: Vec<(Symbol, Value)> = Vec::with_capacity(ax.len() + ay.len());
        let (mut i, mut j) = (0, 0);
        if ay.len() * 8 < ax.len() {
            // A few names into a large set (`acc // { x = ...; }`): the entries between them
            // are found by binary search and copied at once.
            while i < ax.len() && j < ay.len() {
                let run = ax[i..].partition_point(|e| e.0 < ay[j].0);
                out.extend_from_slice(&ax[i..i + run]);
                i += run;
                if i < ax.len() && ax[i].0 == ay[j].0 {
                    i += 1;
                }
                out.push(ay[j]);
                j += 1;
            }
        }
        while i < ax.len() && j < ay.len() {
            match ax[i].0.cmp(&ay[j].0) {
                Ordering::Less => {
                    out.push(ax[i]);
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(ay[j]);
                    j += 1;
                }
                Ordering::Equal => {
                    out.push(ay[j]);
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&ax[i..]);
        out.extend_from_slice(&ay[j..]);
        Ok(Value::Attrs(self.heap.alloc_attrs(Attrs { entries: out, positions: None })))
    }

    #[inline(never)]
    /// `spans`: the file and the index of its parts' positions
    /// ([`lix_compiler::CompiledFile::interpolations`]).
    pub(crate) fn interpolate(&mut self, parts: usize, path: bool, spans: (u32, u32)) -> EvalResult<Value> {
        let at = self.stack.len() - parts;
        // A part that cannot be coerced is shown at its `${ … }`.
        let segment = |vm: &Self, i: usize| {
            let (file, n) = spans;
            let range = vm.files[file as usize].compiled.interpolations.get(n as usize).and_then(|s| s.get(i)).copied();
            let pos = range.map(|range| crate::Pos { file, range });
            // Only the coercion's own failure gets the frame, innermost (where the reference
            // attaches it as the failed coercion's context); errors from evaluating what is
            // coerced (an `outPath` that aborts) pass unframed.
            move |mut e: EvalError| {
                if e.message.starts_with("cannot coerce ") {
                    let entry = crate::error::TraceEntry { message: "while evaluating a path segment".into(), pos };
                    e.trace.insert(0, entry);
                }
                e
            }
        };
        // Sized for the parts that are strings already (usually all of them), so the result
        // is allocated once and not reallocated when it becomes the string's boxed bytes.
        let known: usize = self.stack[at..]
            .iter()
            .map(|&v| match self.peek(v) {
                Value::String(g) | Value::Path(g) => self.heap.str(g).bytes.len(),
                _ => 0,
            })
            .sum();
        let mut bytes = Vec::with_capacity(known);
        let mut ctx = Context::new();
        for i in 0..parts {
            let v = self.stack[at + i];
            if path && i == 0 {
                match v {
                    Value::Path(g) => bytes.extend_from_slice(&self.heap.str(g).bytes),
                    _ => {
                        let framed = segment(self, i);
                        let (s, c) = self.coerce_to_string(v, Coercion::Interpolation, false).map_err(framed)?;
                        bytes.extend_from_slice(&s);
                        merge_context(&mut ctx, c);
                    }
                }
                continue;
            }
            // Strings, the usual parts, are copied straight from the heap.
            let v = self.force(v).map_err(segment(self, i))?;
            if let Value::String(g) = v {
                let s = self.heap.str(g);
                bytes.extend_from_slice(&s.bytes);
                if !s.context.is_empty() {
                    merge_context(&mut ctx, s.context.to_vec());
                }
                continue;
            }
            let framed = segment(self, i);
            let (s, c) = self.coerce_to_string(v, Coercion::Interpolation, !path).map_err(framed)?;
            bytes.extend_from_slice(&s);
            merge_context(&mut ctx, c);
        }
        self.stack.truncate(at);
        if path {
            if !ctx.is_empty() {
                return Err(EvalError::type_error(
                    "a string that refers to a store path cannot be appended to a path",
                ));
            }
            Ok(self.new_path(canon_path(&bytes)))
        } else {
            Ok(self.new_string_ctx(bytes, ctx))
        }
    }

    /// Coerces `v` to a string. `copy_paths`: paths go to the store (as in string
    /// interpolation) instead of staying as they are.
    ///
    /// A set's `__toString` result and `outPath` are coerced in a loop, not by recursion, with
    /// their trace frames kept for an error: a derivation's dependencies are instantiated from
    /// inside this call, so each level of a dependency chain holds one frame of it, not three.
    pub fn coerce_to_string(&mut self, v: Value, how: Coercion, copy_paths: bool) -> EvalResult<(Vec<u8>, Context)> {
        // The frames of the sets passed through, outermost first: (position, message).
        let mut frames: smallvec::SmallVec<[(Option<crate::Pos>, &'static str); 2]> = smallvec::SmallVec::new();
        let mut v = v;
        let r = loop {
            let forced = match self.force(v) {
                Ok(x) => x,
                Err(e) => break Err(e),
            };
            let Value::Attrs(g) = forced else { break self.coerce_leaf(forced, how, copy_paths) };
            let to_string = self.syms.to_string;
            if let Some(f) = self.heap.attrs(g).get(to_string) {
                let at = self.heap.attrs(g).position(to_string);
                let mark = self.root(forced);
                let r = self.call(f, forced);
                self.unroot(mark);
                match r {
                    Ok(result) => {
                        frames.push((at, "while using the result of the `__toString` attribute"));
                        v = result;
                        continue;
                    }
                    Err(mut e) => {
                        // Calling what is not a function fails at the attribute.
                        if e.pos.is_none() && e.trace.is_empty() {
                            e.pos = at;
                        }
                        e.trace.push(crate::error::TraceEntry {
                            message: "while calling the `__toString` attribute".to_string(),
                            pos: at,
                        });
                        break Err(e);
                    }
                }
            }
            let out_path = self.syms.out_path;
            if let Some(out) = self.heap.attrs(g).get(out_path) {
                frames.push((self.heap.attrs(g).position(out_path), "while evaluating the `outPath` attribute"));
                v = out;
                continue;
            }
            break Err(EvalError::type_error(format!("cannot coerce a set to a string: {}", self.show(forced))));
        };
        r.map_err(|mut e| {
            for &(pos, message) in frames.iter().rev() {
                e.trace.push(crate::error::TraceEntry { message: message.to_string(), pos });
            }
            e
        })
    }

    /// [`Vm::coerce_to_string`] of a forced value that is not a set.
    #[inline(never)]
    fn coerce_leaf(&mut self, v: Value, how: Coercion, copy_paths: bool) -> EvalResult<(Vec<u8>, Context)> {
        match v {
            Value::String(g) => {
                let s = self.heap.str(g);
                Ok((s.bytes.to_vec(), s.context.to_vec()))
            }
            Value::Path(g) => {
                let path = String::from_utf8_lossy(&self.heap.str(g).bytes).into_owned();
                if copy_paths {
                    if !self.io.path_exists(&path) {
                        return Err(EvalError::new(ErrorKind::Other, format!("path '{path}' does not exist")));
                    }
                    let store_path = self.io.add_to_store(&path).map_err(|m| EvalError::new(ErrorKind::Other, m))?;
                    Ok((store_path.clone().into_bytes(), vec![store_path.into()]))
                } else {
                    Ok((path.into_bytes(), Vec::new()))
                }
            }
            _ if how == Coercion::ToString => match v {
                Value::Int(i) => Ok((itoa::Buffer::new().format(i).as_bytes().to_vec(), Vec::new())),
                Value::Float(f) => Ok((format!("{f:.6}").into_bytes(), Vec::new())),
                Value::Bool(true) => Ok((b"1".to_vec(), Vec::new())),
                Value::Bool(false) | Value::Null => Ok((Vec::new(), Vec::new())),
                Value::List(g) => {
                    let mut out = Vec::new();
                    let mut ctx = Context::new();
                    let n = self.heap.list(g).len();
                    let mark = self.root(v);
                    for i in 0..n {
                        let item = self.heap.list(g)[i];
                        let r = self.coerce_to_string(item, how, copy_paths);
                        let (s, c) = match r {
                            Ok(x) => x,
                            Err(e) => {
                                self.unroot(mark);
                                return Err(e);
                            }
                        };
                        out.extend_from_slice(&s);
                        let item = self.force(item)?;
                        // A separator after every element but the last, except after `[ ]`.
                        if i + 1 < n && !is_empty_list(self, item) {
                            out.push(b' ');
                        }
                        merge_context(&mut ctx, c);
                    }
                    self.unroot(mark);
                    Ok((out, ctx))
                }
                _ => Err(self.cannot_coerce(v)),
            },
            _ => Err(self.cannot_coerce(v)),
        }
    }

    fn cannot_coerce(&self, v: Value) -> EvalError {
        EvalError::type_error(format!("cannot coerce {} to a string: {}", v.show_type(), self.show(v)))
    }

    /// The string of `v` (forced), or an error naming what was expected.
    pub fn expect_string(&mut self, v: Value) -> EvalResult<(Vec<u8>, Context)> {
        let g = self.expect_str(v)?;
        let s = self.heap.str(g);
        Ok((s.bytes.to_vec(), s.context.to_vec()))
    }

    /// The string behind `v` (forced), to read in place (`heap.str`) instead of copying it.
    pub fn expect_str(&mut self, v: Value) -> EvalResult<crate::value::Gc> {
        match self.force(v)? {
            Value::String(g) => Ok(g),
            other => Err(self.expected(&other, "a string")),
        }
    }

    /// The set behind `v` (forced).
    pub fn expect_attrs(&mut self, v: Value) -> EvalResult<crate::value::Gc> {
        match self.force(v)? {
            Value::Attrs(g) => Ok(g),
            other => Err(self.expected(&other, "a set")),
        }
    }

    /// The list behind `v` (forced).
    pub fn expect_list(&mut self, v: Value) -> EvalResult<crate::value::Gc> {
        match self.force(v)? {
            Value::List(g) => Ok(g),
            other => Err(self.expected(&other, "a list")),
        }
    }

    /// The integer `v` (forced).
    pub fn expect_int(&mut self, v: Value) -> EvalResult<i64> {
        match self.force(v)? {
            Value::Int(i) => Ok(i),
            other => Err(self.expected(&other, "an integer")),
        }
    }

    /// The Boolean `v` (forced).
    pub fn expect_bool(&mut self, v: Value) -> EvalResult<bool> {
        match self.force(v)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.expected(&other, "a Boolean")),
        }
    }

    /// The function `v` (forced): lambdas, builtins and sets with `__functor`.
    pub fn expect_function(&mut self, v: Value) -> EvalResult<Value> {
        let v = self.force(v)?;
        match v {
            Value::Lambda(_) | Value::Builtin(_) | Value::PrimApp(_) => Ok(v),
            Value::Attrs(g) if self.heap.attrs(g).get(self.syms.functor).is_some() => Ok(v),
            other => Err(self.expected(&other, "a function")),
        }
    }

    /// Whether object `g` is a string (for builtins that inspect heap objects).
    pub fn is_str_obj(&self, g: crate::value::Gc) -> bool {
        matches!(self.heap.get(g), Obj::Str(_))
    }
}

/// How a suggestion line starts; error printers put it after the error's position, as CppNix
/// does.
pub const DID_YOU_MEAN: &str = "Did you mean ";

/// The edit distance of two names (insertions, deletions, substitutions).
fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn is_empty_list(vm: &Vm, v: Value) -> bool {
    matches!(v, Value::List(g) if vm.heap.list(g).is_empty())
}

/// `e` with `message` as its innermost trace frame (no position).
pub(crate) fn with_trace(mut e: EvalError, message: String) -> EvalError {
    e.trace.push(crate::error::TraceEntry { message, pos: None });
    e
}

/// A coercion error inside `+`, framed as CppNix frames it.
fn path_segment(e: EvalError) -> EvalError {
    with_trace(e, "while evaluating a path segment".into())
}

fn overflow(verb: &str, x: i64, op: &str, y: i64) -> EvalError {
    EvalError::type_error(format!("integer overflow in {verb} {x} {op} {y}"))
}

fn as_float(v: Value) -> f64 {
    match v {
        Value::Int(i) => i as f64,
        Value::Float(f) => f,
        _ => 0.0,
    }
}

/// Adds `more` to `ctx`, keeping it sorted and unique.
pub fn merge_context(ctx: &mut Context, more: Context) {
    if more.is_empty() {
        return;
    }
    ctx.extend(more);
    ctx.sort();
    ctx.dedup();
}

/// A path made canonical: `.` and empty components dropped, `..` resolved, no trailing slash.
pub fn canon_path(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The items of `x` followed by those of `y`, in one allocation (the result of `++`).
#[inline]
fn joined(x: &[Value], y: &[Value]) -> Vec<Value> {
    let mut items = Vec::with_capacity(x.len() + y.len());
    items.extend_from_slice(x);
    items.extend_from_slice(y);
    items
}
