//! Printing values the way `nix-instantiate --eval` does, and short renderings for error
//! messages.

use std::fmt::Write as _;

use rustc_hash::FxHashSet;

use crate::value::{Gc, ThunkState, Value};
use crate::Vm;

pub use lix_hir::print::format_float;

/// Escapes a string as a Nix string literal (bytes that are not UTF-8 become U+FFFD).
pub fn quote_string(bytes: &[u8], out: &mut String) {
    lix_hir::print::write_string(out, &String::from_utf8_lossy(bytes));
}

/// Limits for printing a value inside an error message (CppNix's `errorPrintOptions`). The item
/// and attribute limits count across the whole value, not per list or set, as CppNix's do.
struct Limits {
    depth: usize,
    items: usize,
    attrs: usize,
    string: usize,
}

/// What has been printed so far, against [`Limits`].
#[derive(Default)]
struct Printed {
    items: usize,
    attrs: usize,
}

/// The longest list the reference stores inside a value rather than on the heap; how
/// `«repeated»` tells such lists apart differs (see `print_into`).
const SMALL_LIST: usize = 2;

impl Vm {
    /// The value as `nix-instantiate --eval` prints it. Thunks print as `<CODE>`; force the
    /// value first (deeply, for `--strict`).
    pub fn print_value(&self, v: Value) -> String {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        self.print_into(v, &mut out, &mut seen, None, &mut Printed::default(), 0);
        out
    }

    /// A short rendering of `v` for error messages (nothing is forced).
    pub fn show(&self, v: Value) -> String {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        let limits = Limits { depth: 10, items: 10, attrs: 10, string: 1024 };
        self.print_into(v, &mut out, &mut seen, Some(&limits), &mut Printed::default(), 0);
        out
    }

    /// `v` as `builtins.trace` prints it: the error-message style (`«thunk»`, `«lambda @ …»`)
    /// without its limits. Nothing is forced.
    pub fn show_whole(&self, v: Value) -> String {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        let limits = Limits { depth: usize::MAX, items: usize::MAX, attrs: usize::MAX, string: usize::MAX };
        self.print_into(v, &mut out, &mut seen, Some(&limits), &mut Printed::default(), 0);
        out
    }

    /// Where the lambda `f` is written (`None` for other functions).
    pub fn lambda_pos(&self, f: Value) -> Option<crate::Pos> {
        let Value::Lambda(c) = f else { return None };
        let proto = &self.protos[self.heap.closure(c).code.0 as usize];
        Some(crate::Pos { file: proto.file, range: proto.span })
    }

    /// How error messages name a lambda: `«lambda NAME @ FILE:LINE:COL»`.
    pub fn show_lambda(&self, c: Gc) -> String {
        let proto = &self.protos[self.heap.closure(c).code.0 as usize];
        let mut out = String::from("«lambda");
        if let lix_compiler::ProtoKind::Lambda { name: Some(name), .. } = &proto.kind {
            out.push(' ');
            out.push_str(name);
        }
        let pos = crate::Pos { file: proto.file, range: proto.span };
        let _ = write!(out, " @ {}»", self.show_pos(pos));
        out
    }

    /// A position as CppNix prints it: `FILE:LINE:COL`, with `«string»` for expressions given
    /// on the command line.
    pub fn show_pos(&self, pos: crate::Pos) -> String {
        let (path, _) = self.file_source(pos.file);
        let (line, col) = self.line_col(pos);
        format!("{}:{line}:{col}", show_origin(path))
    }

    #[allow(clippy::too_many_arguments)]
    fn print_into(
        &self,
        v: Value,
        out: &mut String,
        seen: &mut FxHashSet<Gc>,
        limits: Option<&Limits>,
        printed: &mut Printed,
        depth: usize,
    ) {
        // The thunk `v` was reached through, if any: where a small list lives (below).
        let via = match v {
            Value::Thunk(t) => Some(t),
            _ => None,
        };
        let v = match v {
            Value::Thunk(t) => match self.heap.thunk(t).state {
                ThunkState::Done(x) => x,
                _ if limits.is_some() && self.heap.forcing(t) => {
                    out.push_str("«potential infinite recursion»");
                    return;
                }
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
                        out.push_str(" «");
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
                // The reference keeps lists of up to two elements inside the value that holds
                // them, so such a list is "the same" only where it is reached through the same
                // thunk; the value printed at the top is a copy, never seen before.
                let key = match via {
                    _ if items.len() > SMALL_LIST => Some(g),
                    _ if depth == 0 => None,
                    Some(t) => Some(t),
                    None => Some(g),
                };
                if key.is_some_and(|k| !seen.insert(k)) {
                    out.push_str("«repeated»");
                    return;
                }
                if limits.is_some_and(|l| depth >= l.depth) {
                    out.push_str("[ ... ]");
                    return;
                }
                out.push_str("[ ");
                for (i, item) in items.iter().enumerate() {
                    if let Some(l) = limits {
                        if printed.items >= l.items {
                            let n = items.len() - i;
                            let _ = write!(out, "«{n} {} elided» ", if n == 1 { "item" } else { "items" });
                            break;
                        }
                    }
                    self.print_into(*item, out, seen, limits, printed, depth + 1);
                    out.push(' ');
                    printed.items += 1;
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
                    out.push_str("{ ... }");
                    return;
                }
                out.push_str("{ ");
                let entries = self.sorted_attrs(g);
                for (i, (name, value)) in entries.iter().enumerate() {
                    if let Some(l) = limits {
                        if printed.attrs >= l.attrs {
                            let n = entries.len() - i;
                            let _ = write!(out, "«{n} {} elided» ", if n == 1 { "attribute" } else { "attributes" });
                            break;
                        }
                    }
                    print_attr_name(self.symbols.name(*name), out);
                    out.push_str(" = ");
                    self.print_into(*value, out, seen, limits, printed, depth + 1);
                    out.push_str("; ");
                    printed.attrs += 1;
                }
                out.push('}');
            }
            Value::Lambda(c) if via.is_none() && !self.heap.closure(c).forced.get() => {
                // Where the reference still holds a thunk (see `Closure::forced`); a lambda
                // that a forced thunk evaluated to is forced.
                out.push_str(if limits.is_some() { "«thunk»" } else { "<CODE>" });
            }
            Value::Lambda(c) => {
                if limits.is_some() {
                    out.push_str(&self.show_lambda(c));
                } else {
                    out.push_str("<LAMBDA>");
                }
            }
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

/// The lines of a source text, ending at `\n`, `\r\n` or a lone `\r` (as
/// [`Vm::line_col`] counts them).
pub fn source_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let (bytes, mut start, mut i) = (text.as_bytes(), 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&text[start..]);
    lines
}

/// A file's name as CppNix prints it in positions: `«string»` and `«stdin»` for the
/// pseudo-files `(string)` and `(stdin)`.
pub fn show_origin(path: &str) -> String {
    match path.strip_prefix('(').and_then(|p| p.strip_suffix(')')) {
        Some(name) => format!("«{name}»"),
        None => path.to_string(),
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
    use super::source_lines;

    #[test]
    fn lines_end_at_every_kind_of_line_break() {
        assert_eq!(source_lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(source_lines("a\n"), ["a", ""]);
        assert_eq!(source_lines("\r\r\n"), ["", "", ""]);
        assert_eq!(source_lines(""), [""]);
    }
}
