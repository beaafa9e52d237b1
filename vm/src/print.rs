//! Printing values the way `nix-instantiate --eval` does, and short renderings for error
//! messages.

use std::fmt::Write as _;

use rustc_hash::FxHashSet;

use crate::value::{Gc, ThunkState, Value};
use crate::Vm;

pub use lix_hir::print::format_float;

/// Escapes a string as a Nix string literal.
pub fn quote_string(bytes: &[u8], out: &mut String) {
    out.push('"');
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Limits for printing a value inside an error message.
struct Limits {
    depth: usize,
    items: usize,
    string: usize,
}

impl Vm {
    /// The value as `nix-instantiate --eval` prints it. Thunks print as `<CODE>`; force the
    /// value first (deeply, for `--strict`).
    pub fn print_value(&self, v: Value) -> String {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        self.print_into(v, &mut out, &mut seen, None, 0);
        out
    }

    /// A short rendering of `v` for error messages (nothing is forced).
    pub fn show(&self, v: Value) -> String {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        self.print_into(v, &mut out, &mut seen, Some(&Limits { depth: 10, items: 10, string: 1024 }), 0);
        out
    }

    fn print_into(&self, v: Value, out: &mut String, seen: &mut FxHashSet<Gc>, limits: Option<&Limits>, depth: usize) {
        let v = match v {
            Value::Thunk(t) => match self.heap.thunk(t).state {
                ThunkState::Done(x) => x,
                _ => {
                    out.push_str(if limits.is_some() { "«thunk»" } else { "<CODE>" });
                    return;
                }
            },
            v => v,
        };
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float(f)),
            Value::String(g) => {
                let bytes = &self.heap.str(g).bytes;
                match limits {
                    Some(l) if bytes.len() > l.string => {
                        quote_string(&bytes[..l.string], out);
                        out.push('«');
                        let _ = write!(out, "{} bytes elided", bytes.len() - l.string);
                        out.push('»');
                    }
                    _ => quote_string(bytes, out),
                }
            }
            Value::Path(g) => out.push_str(&String::from_utf8_lossy(&self.heap.str(g).bytes)),
            Value::List(g) => {
                let items = self.heap.list(g);
                if items.is_empty() {
                    out.push_str("[ ]");
                    return;
                }
                if !seen.insert(g) {
                    out.push_str("«repeated»");
                    return;
                }
                if limits.is_some_and(|l| depth >= l.depth) {
                    out.push_str("[ … ]");
                    return;
                }
                out.push_str("[ ");
                for (i, item) in items.iter().enumerate() {
                    if let Some(l) = limits {
                        if i >= l.items {
                            let _ = write!(out, "«{} items elided» ", items.len() - i);
                            break;
                        }
                    }
                    self.print_into(*item, out, seen, limits, depth + 1);
                    out.push(' ');
                }
                out.push(']');
            }
            Value::Attrs(g) => {
                let attrs = self.heap.attrs(g);
                if attrs.entries.is_empty() {
                    out.push_str("{ }");
                    return;
                }
                if !seen.insert(g) {
                    out.push_str("«repeated»");
                    return;
                }
                if limits.is_some_and(|l| depth >= l.depth) {
                    out.push_str("{ … }");
                    return;
                }
                out.push_str("{ ");
                let entries = self.sorted_attrs(g);
                for (i, (name, value)) in entries.iter().enumerate() {
                    if let Some(l) = limits {
                        if i >= l.items {
                            let _ = write!(out, "«{} attributes elided» ", entries.len() - i);
                            break;
                        }
                    }
                    print_attr_name(self.symbols.name(*name), out);
                    out.push_str(" = ");
                    self.print_into(*value, out, seen, limits, depth + 1);
                    out.push_str("; ");
                }
                out.push('}');
            }
            Value::Lambda(_) => out.push_str(if limits.is_some() { "«lambda»" } else { "<LAMBDA>" }),
            Value::Builtin(id) => {
                if limits.is_some() {
                    let _ = write!(out, "«primop {}»", self.builtins[id as usize].name);
                } else {
                    out.push_str("<PRIMOP>");
                }
            }
            Value::PrimApp(g) => {
                if limits.is_some() {
                    let id = self.heap.prim_app(g).builtin;
                    let _ = write!(out, "«partially applied primop {}»", self.builtins[id as usize].name);
                } else {
                    out.push_str("<PRIMOP-APP>");
                }
            }
            Value::Thunk(_) => out.push_str("<CODE>"),
        }
    }
}

/// Prints an attribute name, quoted unless it is a plain identifier.
pub fn print_attr_name(name: &[u8], out: &mut String) {
    let plain = !name.is_empty()
        && (name[0].is_ascii_alphabetic() || name[0] == b'_')
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'\'' | b'-'));
    let keyword = matches!(name, b"if" | b"then" | b"else" | b"assert" | b"with" | b"let" | b"in" | b"rec" | b"inherit" | b"or");
    if plain && !keyword {
        out.push_str(&String::from_utf8_lossy(name));
    } else {
        quote_string(name, out);
    }
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn floats_print_like_cpp_streams() {
        assert_eq!(format_float(3.4), "3.4");
        assert_eq!(format_float(2.5), "2.5");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(123456.0), "123456");
        assert_eq!(format_float(1234567.0), "1.23457e+06");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(-0.5), "-0.5");
    }
}
