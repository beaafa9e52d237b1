//! `toXML` and the `--xml` output: CppNix's XML rendering of values (without source
//! locations), two spaces of indentation per level, attributes of an element sorted by name.

use crate::error::EvalResult;
use crate::ops::merge_context;
use crate::value::{Context, Gc, ThunkState, Value};
use crate::Vm;

/// Escapes an XML attribute value as CppNix's `XMLWriter` does.
fn escape(s: &[u8], out: &mut Vec<u8>) {
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"&quot;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            c => out.push(c),
        }
    }
}

/// An element writer with indentation.
struct Writer {
    out: Vec<u8>,
    depth: usize,
}

impl Writer {
    fn indent(&mut self) {
        self.out.extend(std::iter::repeat_n(b' ', self.depth * 2));
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &[u8])]) {
        self.indent();
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        let mut attrs = attrs.to_vec();
        attrs.sort_by_key(|a| a.0);
        for (k, v) in attrs {
            self.out.push(b' ');
            self.out.extend_from_slice(k.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape(v, &mut self.out);
            self.out.push(b'"');
        }
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &[u8])]) {
        self.tag(name, attrs);
        self.out.extend_from_slice(b" />\n");
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &[u8])]) {
        self.tag(name, attrs);
        self.out.extend_from_slice(b">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b">\n");
    }
}

/// Skips a `"…"` string or `''…''` string starting at `i`; returns the index after it.
fn skip_string(t: &[u8], mut i: usize) -> usize {
    if t[i] == b'"' {
        i += 1;
        while i < t.len() && t[i] != b'"' {
            i += if t[i] == b'\\' { 2 } else { 1 };
        }
        return i + 1;
    }
    i += 2;
    while i + 1 < t.len() && !(t[i] == b'\'' && t[i + 1] == b'\'' && t.get(i + 2) != Some(&b'\'')) {
        i += if t[i] == b'\'' && t[i + 1] == b'\'' { 3 } else { 1 };
    }
    i + 2
}

fn ident_at(t: &[u8], i: usize) -> Option<&[u8]> {
    let start = i;
    let mut j = i;
    while j < t.len() && (t[j].is_ascii_alphanumeric() || matches!(t[j], b'_' | b'\'' | b'-')) {
        j += 1;
    }
    (j > start && (t[start].is_ascii_alphabetic() || t[start] == b'_')).then(|| &t[start..j])
}

fn skip_ws(t: &[u8], mut i: usize) -> usize {
    while i < t.len() && t[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The argument name of a lambda from its source text: `x: …`, `x @ { … }: …` or
/// `{ … } @ x: …`.
fn lambda_arg_name(text: &[u8]) -> Option<Vec<u8>> {
    let i = skip_ws(text, 0);
    if let Some(id) = ident_at(text, i) {
        let j = skip_ws(text, i + id.len());
        return matches!(text.get(j), Some(b':' | b'@')).then(|| id.to_vec());
    }
    if text.get(i) != Some(&b'{') {
        return None;
    }
    let mut depth = 0;
    let mut j = i;
    while j < text.len() {
        match text[j] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b'"' => {
                j = skip_string(text, j);
                continue;
            }
            b'\'' if text.get(j + 1) == Some(&b'\'') => {
                j = skip_string(text, j);
                continue;
            }
            b'#' => {
                while j < text.len() && text[j] != b'\n' {
                    j += 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    let k = skip_ws(text, j + 1);
    if text.get(k) != Some(&b'@') {
        return None;
    }
    let k = skip_ws(text, k + 1);
    ident_at(text, k).map(<[u8]>::to_vec)
}

/// How [`Vm::to_xml`] prints.
#[derive(Clone, Copy, Debug, Default)]
pub struct XmlMode {
    /// Force values deeply; otherwise what is unevaluated prints as `<unevaluated />`.
    pub strict: bool,
    /// Give attributes and functions their source location (`column`, `line`, `path`), as
    /// `nix-instantiate --eval --xml` does without `--no-location`.
    pub location: bool,
}

impl Vm {
    /// `v` in CppNix's XML format (`builtins.toXML`, `nix-instantiate --eval --xml`) and the
    /// context of the strings in it.
    pub fn to_xml(&mut self, v: Value, mode: XmlMode) -> EvalResult<(Vec<u8>, Context)> {
        let mut w = Writer { out: b"<?xml version='1.0' encoding='utf-8'?>\n".to_vec(), depth: 0 };
        let mut ctx = Context::new();
        let mut drvs_seen = rustc_hash::FxHashSet::default();
        w.open("expr", &[]);
        let mark = self.root(v);
        let r = self.xml_value(v, mode, &mut w, &mut ctx, &mut drvs_seen);
        self.unroot(mark);
        r?;
        w.close("expr");
        Ok((w.out, ctx))
    }

    fn xml_value(
        &mut self,
        v: Value,
        mode: XmlMode,
        w: &mut Writer,
        ctx: &mut Context,
        drvs_seen: &mut rustc_hash::FxHashSet<Vec<u8>>,
    ) -> EvalResult<()> {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.xml_value_inner(v, mode, w, ctx, drvs_seen))
    }

    fn xml_value_inner(
        &mut self,
        v: Value,
        mode: XmlMode,
        w: &mut Writer,
        ctx: &mut Context,
        drvs_seen: &mut rustc_hash::FxHashSet<Vec<u8>>,
    ) -> EvalResult<()> {
        let v = if mode.strict {
            self.force(v)?
        } else {
            match v {
                Value::Thunk(t) => match self.heap.thunk(t).state {
                    ThunkState::Done(x) => x,
                    _ => {
                        w.empty("unevaluated", &[]);
                        return Ok(());
                    }
                },
                // A lambda still a thunk in the reference (`Closure::forced`).
                Value::Lambda(c) if !self.heap.closure(c).forced.get() => {
                    w.empty("unevaluated", &[]);
                    return Ok(());
                }
                v => v,
            }
        };
        match v {
            Value::Int(i) => w.empty("int", &[("value", i.to_string().as_bytes())]),
            Value::Bool(b) => w.empty("bool", &[("value", if b { b"true" } else { b"false" })]),
            Value::String(g) => {
                let s = self.heap.str(g);
                merge_context(ctx, s.context.to_vec());
                let bytes = s.bytes.clone();
                w.empty("string", &[("value", &bytes)]);
            }
            Value::Path(g) => {
                let bytes = self.heap.str(g).bytes.clone();
                w.empty("path", &[("value", &bytes)]);
            }
            Value::Null => w.empty("null", &[]),
            Value::Float(f) => w.empty("float", &[("value", crate::print::format_float(f).as_bytes())]),
            Value::Attrs(g) => {
                if self.is_derivation(g)? {
                    let mut drv_path = Vec::new();
                    let mut out_path = None;
                    let drv_sym = self.intern(b"drvPath");
                    for (sym, slot) in [(drv_sym, 0), (self.syms.out_path, 1)] {
                        if let Some(x) = self.heap.attrs(g).get(sym) {
                            let x = if mode.strict { self.force(x)? } else { x };
                            if let Value::String(s) = x {
                                let bytes = self.heap.str(s).bytes.to_vec();
                                if slot == 0 {
                                    drv_path = bytes;
                                } else {
                                    out_path = Some(bytes);
                                }
                            }
                        }
                    }
                    let mut attrs: Vec<(&str, &[u8])> = Vec::new();
                    if !drv_path.is_empty() {
                        attrs.push(("drvPath", &drv_path));
                    }
                    if let Some(o) = &out_path {
                        attrs.push(("outPath", o));
                    }
                    w.open("derivation", &attrs);
                    if !drv_path.is_empty() && drvs_seen.insert(drv_path.clone()) {
                        self.xml_attrs(g, mode, w, ctx, drvs_seen)?;
                    } else {
                        w.empty("repeated", &[]);
                    }
                    w.close("derivation");
                } else {
                    w.open("attrs", &[]);
                    self.xml_attrs(g, mode, w, ctx, drvs_seen)?;
                    w.close("attrs");
                }
            }
            Value::List(g) => {
                w.open("list", &[]);
                let n = self.heap.list(g).len();
                for i in 0..n {
                    let item = self.heap.list(g)[i];
                    self.xml_value(item, mode, w, ctx, drvs_seen)?;
                }
                w.close("list");
            }
            Value::Lambda(c) => self.xml_lambda(c, mode, w),
            Value::Builtin(_) | Value::PrimApp(_) | Value::Thunk(_) => w.empty("unevaluated", &[]),
        }
        Ok(())
    }

    fn xml_attrs(
        &mut self,
        g: Gc,
        mode: XmlMode,
        w: &mut Writer,
        ctx: &mut Context,
        drvs_seen: &mut rustc_hash::FxHashSet<Vec<u8>>,
    ) -> EvalResult<()> {
        for (sym, value) in self.sorted_attrs(g) {
            let name = self.symbols.name(sym).to_vec();
            let pos = if mode.location { self.heap.attrs(g).position(sym) } else { None };
            let location = pos.map(|p| self.xml_location(p)).unwrap_or_default();
            let mut attrs: Vec<(&str, &[u8])> = location.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
            attrs.push(("name", &name));
            attrs.sort_by_key(|a| a.0);
            w.open("attr", &attrs);
            self.xml_value(value, mode, w, ctx, drvs_seen)?;
            w.close("attr");
        }
        Ok(())
    }

    /// The reference's location attributes: `column`, `line` and (for a file) `path`.
    fn xml_location(&self, pos: crate::Pos) -> Vec<(&'static str, String)> {
        let (line, column) = self.line_col(pos);
        let mut out = vec![("column", column.to_string()), ("line", line.to_string())];
        let (path, _) = self.file_source(pos.file);
        if !path.starts_with('(') {
            out.push(("path", path.to_string()));
        }
        out
    }

    fn xml_lambda(&self, c: Gc, mode: XmlMode, w: &mut Writer) {
        let code = self.heap.closure(c).code;
        let proto = &self.protos[code.0 as usize];
        let file = &self.files[proto.file as usize];
        let range = proto.span;
        let text = file.text.as_bytes();
        let src = text.get(u32::from(range.start()) as usize..u32::from(range.end()) as usize).unwrap_or_default();
        let arg = lambda_arg_name(src);
        let location = if mode.location {
            self.xml_location(crate::Pos { file: proto.file, range: proto.span })
        } else {
            Vec::new()
        };
        let location: Vec<(&str, &[u8])> = location.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        w.open("function", &location);
        match proto.kind {
            lix_compiler::ProtoKind::Lambda { pattern: Some(p), .. } => {
                let pattern = &file.compiled.patterns[p as usize];
                let mut attrs: Vec<(&str, &[u8])> = Vec::new();
                if let Some(a) = &arg {
                    attrs.push(("name", a));
                }
                if pattern.ellipsis {
                    attrs.push(("ellipsis", b"1"));
                }
                let mut names: Vec<&[u8]> =
                    pattern.fields.iter().map(|(n, _)| self.symbols.name(file.names[*n as usize])).collect();
                names.sort();
                w.open("attrspat", &attrs);
                for n in names {
                    w.empty("attr", &[("name", n)]);
                }
                w.close("attrspat");
            }
            _ => w.empty("varpat", &[("name", arg.as_deref().unwrap_or_default())]),
        }
        w.close("function");
    }
}

/// O(size of the value), forcing it deeply; the context is that of the strings in it.
pub(super) fn to_xml(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (out, ctx) = vm.to_xml(a[0], XmlMode { strict: true, location: false })?;
    Ok(vm.new_string_ctx(out, ctx))
}

#[cfg(test)]
mod tests {
    use super::lambda_arg_name;

    #[test]
    fn argument_names_from_source() {
        assert_eq!(lambda_arg_name(b"x: x").as_deref(), Some(b"x".as_slice()));
        assert_eq!(lambda_arg_name(b"args@{ x }: x").as_deref(), Some(b"args".as_slice()));
        assert_eq!(lambda_arg_name(b"{ x ? \"}\" } @ a: x").as_deref(), Some(b"a".as_slice()));
        assert_eq!(lambda_arg_name(b"{ x, ... }: x"), None);
    }
}
