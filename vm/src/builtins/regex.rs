//! `match` and `split`: POSIX extended regular expressions (as CppNix's `std::regex::extended`),
//! translated to the `regex` crate's syntax and run on bytes. Differences that remain: the
//! `regex` crate picks the leftmost-first alternative where POSIX picks the leftmost-longest
//! match, and back-references are not supported.

use std::cell::RefCell;
use std::rc::Rc;

use ::regex::bytes::Regex;
use rustc_hash::FxHashMap;

use super::{expect_string_no_ctx, lossy, nth_arg, TraceExt};
use crate::error::{EvalError, EvalResult};
use crate::value::Value;
use crate::Vm;

/// Compiled expressions by pattern and whether they must match the whole string.
type Cache = FxHashMap<(Vec<u8>, bool), Rc<Regex>>;

thread_local! {
    /// Compiled regular expressions by (pattern, whole-string) — CppNix caches them too, and
    /// the same pattern is typically used many times in one evaluation.
    static CACHE: RefCell<Cache> = RefCell::default();
}

/// Translates a POSIX ERE into `regex` syntax: inside bracket expressions a backslash is a
/// literal and `]` first is a literal; characters the `regex` crate treats specially in
/// classes (`[`, `&`, `~`, `-` in set operations) are escaped.
pub fn translate_ere(pattern: &[u8]) -> Result<String, ()> {
    let text = std::str::from_utf8(pattern).map_err(|_| ())?;
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else { return Err(()) };
                out.push('\\');
                out.push(next);
                i += 2;
            }
            '[' => {
                i += 1;
                out.push('[');
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // `]` right after `[` or `[^` is a literal.
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                loop {
                    let Some(&c) = chars.get(i) else { return Err(()) };
                    match c {
                        ']' => {
                            out.push(']');
                            i += 1;
                            break;
                        }
                        '[' if matches!(chars.get(i + 1), Some(':' | '.' | '=')) => {
                            let kind = chars[i + 1];
                            // Copy through the matching `:]` (or `.]`, `=]`).
                            let mut j = i + 2;
                            while j + 1 < chars.len() && !(chars[j] == kind && chars[j + 1] == ']') {
                                j += 1;
                            }
                            if j + 1 >= chars.len() {
                                return Err(());
                            }
                            let inner: String = chars[i + 2..j].iter().collect();
                            match kind {
                                ':' => {
                                    out.push_str("[:");
                                    out.push_str(&inner);
                                    out.push_str(":]");
                                }
                                // Collating symbols and equivalence classes of one character.
                                _ => {
                                    for ch in inner.chars() {
                                        push_class_char(&mut out, ch);
                                    }
                                }
                            }
                            i = j + 2;
                        }
                        '-' => {
                            // A range dash between two members stays; elsewhere it is literal.
                            let prev_is_member = !out.ends_with('[') && !out.ends_with('^');
                            let next_is_end = chars.get(i + 1) == Some(&']');
                            if prev_is_member && !next_is_end {
                                out.push('-');
                            } else {
                                out.push_str("\\-");
                            }
                            i += 1;
                        }
                        c => {
                            push_class_char(&mut out, c);
                            i += 1;
                        }
                    }
                }
            }
            '{' => {
                // A brace that does not start a valid interval is a literal in practice.
                let rest: String = chars[i + 1..].iter().collect();
                let valid = rest
                    .split_once('}')
                    .is_some_and(|(body, _)| !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || c == ','));
                out.push_str(if valid { "{" } else { "\\{" });
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn push_class_char(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '&' | '~' | '-' | '^') {
        out.push('\\');
    }
    out.push(c);
}

/// The compiled form of `pattern`; `whole`: anchored at both ends (for `match`).
fn compile(pattern: &[u8], whole: bool) -> EvalResult<Rc<Regex>> {
    let key = (pattern.to_vec(), whole);
    if let Some(re) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(re);
    }
    let invalid = || EvalError::type_error(format!("invalid regular expression '{}'", lossy(pattern)));
    let body = translate_ere(pattern).map_err(|()| invalid())?;
    // `s`: POSIX `.` matches newlines too; `-u`: bytes, as std::regex sees them.
    let full = if whole { format!("(?s-u)^(?:{body})$") } else { format!("(?s-u){body}") };
    let re = Rc::new(Regex::new(&full).map_err(|_| invalid())?);
    CACHE.with(|c| c.borrow_mut().insert(key, re.clone()));
    Ok(re)
}

/// The groups of a match as Nix values: strings, or `null` for groups that did not take part.
fn groups(vm: &mut Vm, caps: &::regex::bytes::Captures<'_>) -> Vec<Value> {
    (1..caps.len())
        .map(|i| match caps.get(i) {
            Some(m) => vm.new_string(m.as_bytes().to_vec()),
            None => Value::Null,
        })
        .collect()
}

/// O(n) for a string of n bytes (automaton matching): the groups if the whole string matches,
/// else `null`.
pub(super) fn match_(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let pattern = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "match"))?;
    let re = compile(&pattern, true)?;
    let (s, _) = vm.expect_string(a[1]).trace(|| nth_arg(1, "match"))?;
    match re.captures(&s) {
        Some(caps) => {
            let items = groups(vm, &caps);
            Ok(vm.new_list(items))
        }
        None => Ok(Value::Null),
    }
}

/// O(n) for a string of n bytes: the pieces between matches, with each match's groups as a list
/// in between.
pub(super) fn split(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let pattern = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "split"))?;
    let re = compile(&pattern, false)?;
    let (s, _) = vm.expect_string(a[1]).trace(|| nth_arg(1, "split"))?;
    let mut out = Vec::new();
    let mut last = 0;
    for caps in re.captures_iter(&s) {
        let Some(m) = caps.get(0) else { continue };
        out.push(vm.new_string(s[last..m.start()].to_vec()));
        let items = groups(vm, &caps);
        out.push(vm.new_list(items));
        last = m.end();
    }
    if out.is_empty() {
        let whole = vm.new_string(s);
        return Ok(vm.new_list(vec![whole]));
    }
    out.push(vm.new_string(s[last..].to_vec()));
    Ok(vm.new_list(out))
}

#[cfg(test)]
mod tests {
    use super::translate_ere;

    #[test]
    fn bracket_expressions() {
        assert_eq!(translate_ere(b"[[:space:]]+").unwrap(), "[[:space:]]+");
        assert_eq!(translate_ere(b"[]a]").unwrap(), "[\\]a]");
        assert_eq!(translate_ere(b"[\\]").unwrap(), "[\\\\]");
        assert_eq!(translate_ere(b"[a-z-]").unwrap(), "[a-z\\-]");
        assert!(translate_ere(b"[abc").is_err());
    }
}
