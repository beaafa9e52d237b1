//! `toJSON` and `fromJSON`, byte-for-byte as CppNix (which uses nlohmann::json): numbers,
//! escapes and float formatting included.

use std::fmt::Write as _;

use super::{expect_string_no_ctx, nth_arg, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::ops::{merge_context, Coercion};
use crate::value::{Attrs, Context, Value};
use crate::Vm;

/// A float as nlohmann::json prints it: the shortest representation that reads back the same,
/// in plain notation for decimal exponents in [-4, 15) and with at least one digit after
/// the point, otherwise as `d.ddde+XX`. Infinite and NaN values are `null`.
pub fn json_float(x: f64) -> String {
    if !x.is_finite() {
        return "null".into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    // The value is 0.DIGITS * 10^n.
    let n = exp + 1;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 15 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
        out.push_str(".0");
    } else if 0 < n && n <= 15 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -4 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    out
}

/// Appends `s` as a JSON string literal, escaping as nlohmann does (raw UTF-8 kept).
fn write_json_string(s: &[u8], out: &mut String) -> EvalResult<()> {
    let text = std::str::from_utf8(s).map_err(|e| {
        let i = e.valid_up_to();
        EvalError::type_error(format!(
            "JSON serialization error: [json.exception.type_error.316] invalid UTF-8 byte at index {i}: 0x{:02X}",
            s[i]
        ))
    })?;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(())
}

impl Vm {
    /// `v` as `builtins.toJSON` writes it, forcing deeply; the contexts of the strings met
    /// are added to `ctx`. Paths are copied to the store.
    pub fn write_json(&mut self, v: Value, out: &mut String, ctx: &mut Context) -> EvalResult<()> {
        let mark = self.root(v);
        let r = self.write_json_inner(v, out, ctx, 0, None);
        self.unroot(mark);
        r
    }

    /// Writes `v` at nesting `depth`. `pos`: where the value is defined (the attribute holding
    /// it, or holding its list), where the reference places the frames of errors inside it.
    fn write_json_inner(
        &mut self,
        v: Value,
        out: &mut String,
        ctx: &mut Context,
        depth: usize,
        pos: Option<crate::Pos>,
    ) -> EvalResult<()> {
        // The builtin's own call counts as one level, as in CppNix's call depth.
        if depth + 1 > self.config.max_call_depth {
            return Err(EvalError::new(ErrorKind::StackOverflow, "stack overflow; max-call-depth exceeded"));
        }
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || -> EvalResult<()> {
            let v = self.force(v)?;
            match v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                Value::Int(i) => {
                    let _ = write!(out, "{i}");
                }
                Value::Float(f) => out.push_str(&json_float(f)),
                Value::String(g) => {
                    let s = self.heap.str(g);
                    merge_context(ctx, s.context.to_vec());
                    let bytes = s.bytes.clone();
                    write_json_string(&bytes, out)?;
                }
                Value::Path(_) => {
                    let (s, c) = self.coerce_to_string(v, Coercion::Interpolation, true)?;
                    merge_context(ctx, c);
                    write_json_string(&s, out)?;
                }
                Value::List(g) => {
                    out.push('[');
                    let n = self.heap.list(g).len();
                    for i in 0..n {
                        if i > 0 {
                            out.push(',');
                        }
                        let item = self.heap.list(g)[i];
                        self.write_json_inner(item, out, ctx, depth + 1, pos)
                            .trace_at(pos, || format!("while evaluating list element at index {i}"))?;
                    }
                    out.push(']');
                }
                Value::Attrs(g) => {
                    if let Some(f) = self.heap.attrs(g).get(self.syms.to_string) {
                        let at = self.heap.attrs(g).position(self.syms.to_string);
                        let r = self.call(f, v).trace_at(at, || "while calling the `__toString` attribute".into())?;
                        let mark = self.root(r);
                        let s = match r {
                            Value::String(_) | Value::Path(_) => self.coerce_to_string(r, Coercion::Interpolation, false),
                            // A set that itself coerces (`__toString` or `outPath`) is peeled too.
                            Value::Attrs(inner)
                                if self.heap.attrs(inner).get(self.syms.to_string).is_some()
                                    || self.heap.attrs(inner).get(self.syms.out_path).is_some() =>
                            {
                                self.coerce_to_string(r, Coercion::Interpolation, false)
                            }
                            Value::Attrs(_) => Err(EvalError::type_error(format!(
                                "`__toString` must return a string, but got a set: {}",
                                self.show(r)
                            ))),
                            other => Err(EvalError::type_error(format!(
                                "`__toString` should return a string, but got {}: {}",
                                other.show_type(),
                                self.show(other)
                            ))),
                        };
                        self.unroot(mark);
                        // A result of the wrong type fails at the attribute.
                        let s = s.map_err(|mut e| {
                            if e.pos.is_none() && e.trace.is_empty() {
                                e.pos = at;
                            }
                            e
                        });
                        let (s, c) = s.trace_at(at, || "while using the result of the `__toString` attribute".into())?;
                        merge_context(ctx, c);
                        return write_json_string(&s, out);
                    }
                    if let Some(outp) = self.heap.attrs(g).get(self.syms.out_path) {
                        let at = self.heap.attrs(g).position(self.syms.out_path);
                        return self
                            .write_json_inner(outp, out, ctx, depth + 1, at)
                            .trace_at(at, || "while using the `outPath` attribute".into());
                    }
                    out.push('{');
                    for (i, (sym, value)) in self.sorted_attrs(g).into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let name = self.symbols.name(sym).to_vec();
                        write_json_string(&name, out)?;
                        out.push(':');
                        let at = self.heap.attrs(g).position(sym);
                        self.write_json_inner(value, out, ctx, depth + 1, at)
                            .trace_at(at, || format!("while evaluating attribute '{}'", String::from_utf8_lossy(&name)))?;
                    }
                    out.push('}');
                }
                other => {
                    return Err(EvalError::type_error(format!("cannot convert {} to JSON", other.show_type())));
                }
            }
            Ok(())
        })
    }

    /// The Nix value of a JSON document (`builtins.fromJSON`).
    pub fn from_json_text(&mut self, text: &[u8]) -> EvalResult<Value> {
        let json: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| EvalError::type_error(format!("[json.exception.parse_error.101] parse error: {e}")))?;
        self.json_to_value(&json)
    }

    fn json_to_value(&mut self, json: &serde_json::Value) -> EvalResult<Value> {
        use serde_json::Value as J;
        Ok(match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    return Err(EvalError::type_error(format!(
                        "unsigned json number {u} outside of Nix integer range"
                    )));
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => {
                check_no_nul(s)?;
                self.new_string(s.as_bytes())
            }
            J::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.json_to_value(item)?);
                }
                self.new_list(out)
            }
            J::Object(map) => {
                let mut entries = Vec::with_capacity(map.len());
                for (k, item) in map {
                    check_no_nul(k)?;
                    let sym = self.intern(k.as_bytes());
                    entries.push((sym, self.json_to_value(item)?));
                }
                self.new_attrs(Attrs::from_unsorted(entries))
            }
        })
    }
}

/// Nix strings cannot hold NUL bytes.
pub(super) fn check_no_nul(s: &str) -> EvalResult<()> {
    if s.contains('\0') {
        return Err(EvalError::type_error(format!(
            "input string '{}' cannot be represented as Nix string because it contains null bytes",
            s.replace('\0', "\u{2400}")
        )));
    }
    Ok(())
}

/// O(size of the value), forcing it deeply. Writes paths to the store.
pub(super) fn to_json(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let mut out = String::new();
    let mut ctx = Context::new();
    vm.write_json(a[0], &mut out, &mut ctx)?;
    Ok(vm.new_string_ctx(out.into_bytes(), ctx))
}

/// O(length of the text).
pub(super) fn from_json(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let text = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "fromJSON"))?;
    vm.from_json_text(&text)
}

#[cfg(test)]
mod tests {
    use super::json_float;

    #[test]
    fn floats_print_like_nlohmann() {
        assert_eq!(json_float(1.44), "1.44");
        assert_eq!(json_float(1.0), "1.0");
        assert_eq!(json_float(-0.5), "-0.5");
        assert_eq!(json_float(0.0001), "0.0001");
        assert_eq!(json_float(0.00001), "1e-05");
        assert_eq!(json_float(1e15), "1e+15");
        assert_eq!(json_float(123456789012345.0), "123456789012345.0");
        assert_eq!(json_float(1.5e300), "1.5e+300");
        assert_eq!(json_float(f64::NAN), "null");
    }
}
