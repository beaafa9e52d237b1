//! What front ends need beyond evaluating a file: `-A` attribute paths, calling a top-level
//! function with `--arg`s, and bytecode listings.

use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::{Attrs, Value};
use crate::Vm;

impl Vm {
    /// The bytecode listing of loaded file `file`.
    pub fn dump_bytecode(&self, file: u32) -> String {
        self.files[file as usize].compiled.dump()
    }

    /// A set from named values.
    pub fn attrs_from(&mut self, entries: Vec<(String, Value)>) -> Value {
        let entries = entries.into_iter().map(|(k, v)| (self.intern(k.as_bytes()), v)).collect();
        self.new_attrs(Attrs::from_unsorted(entries))
    }

    /// Follows an attribute path like `a.b.0.c` (numbers index lists), calling functions met
    /// on the way with `auto_args` as `nix-instantiate -A` does. An empty path is `v` itself.
    pub fn select_attr_path(&mut self, v: Value, path: &str, auto_args: Option<Value>) -> EvalResult<Value> {
        let mut v = v;
        if path.is_empty() {
            return Ok(v);
        }
        for key in split_attr_path(path) {
            if let Some(a) = auto_args {
                v = self.auto_call(v, a)?;
            }
            v = self.force(v)?;
            match (v, key.parse::<usize>()) {
                (Value::List(g), Ok(i)) => {
                    let items = self.heap.list(g);
                    match items.get(i) {
                        Some(&x) => v = x,
                        None => {
                            return Err(EvalError::new(
                                ErrorKind::Other,
                                format!("list index {i} in selection path '{path}' is out of range"),
                            ))
                        }
                    }
                }
                (Value::Attrs(g), _) => {
                    let sym = self.intern(key.as_bytes());
                    match self.heap.attrs(g).get(sym) {
                        Some(x) => v = x,
                        None => {
                            return Err(EvalError::new(
                                ErrorKind::Other,
                                format!("attribute '{key}' in selection path '{path}' not found"),
                            ))
                        }
                    }
                }
                (other, _) => {
                    return Err(EvalError::type_error(format!(
                        "the expression selected by the selection path '{path}' should be a set but is {}",
                        other.show_type()
                    )))
                }
            }
        }
        Ok(v)
    }

    /// Calls `f` with the arguments of `args` that its pattern names (defaults for the rest),
    /// when `f` is a lambda with a pattern; anything else is returned as it is.
    pub fn auto_call(&mut self, f: Value, args: Value) -> EvalResult<Value> {
        let f = self.force(f)?;
        let v = match f {
            Value::Attrs(g) => match self.heap.attrs(g).get(self.syms.functor) {
                Some(functor) => {
                    let inner = self.call(functor, f)?;
                    return self.auto_call(inner, args);
                }
                None => return Ok(f),
            },
            Value::Lambda(c) => c,
            _ => return Ok(f),
        };
        let code = self.heap.closure(v).code;
        let proto = self.protos[code.0 as usize].clone();
        let lix_compiler::ProtoKind::Lambda { pattern: Some(p), .. } = proto.kind else { return Ok(f) };
        let Value::Attrs(given) = self.force(args)? else { return Ok(f) };
        let file = &self.files[proto.file as usize];
        let pattern = &file.compiled.patterns[p as usize];
        let mut entries = Vec::new();
        for (name, default) in &pattern.fields {
            let sym = file.names[*name as usize];
            match self.heap.attrs(given).get(sym) {
                Some(v) => entries.push((sym, v)),
                None if default.is_some() => {}
                None => {
                    return Err(EvalError::type_error(format!(
                        "cannot evaluate a function that has an argument without a value ('{}')",
                        self.symbols.text(sym)
                    )))
                }
            }
        }
        let arg = self.new_attrs(Attrs::from_unsorted(entries));
        self.call(f, arg)
    }
}

/// Splits `a.b."c.d".e` into its keys.
fn split_attr_path(path: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in path.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => keys.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    keys.push(cur);
    keys
}
