//! `fromTOML`, through the `toml` crate. Timestamps are an error unless the
//! `parse-toml-timestamps` experimental feature is on, in which case they become
//! `{ _type = "timestamp"; value = "…"; }` with CppNix's (toml11's) formatting.

use std::fmt::Write as _;

use super::json::check_no_nul;
use super::{nth_arg, TraceExt};
use crate::error::{EvalError, EvalResult};
use crate::value::{Attrs, Value};
use crate::Vm;

/// How `fromTOML` treats what CppNix gates behind experimental features.
#[derive(Clone, Copy, Debug, Default)]
pub struct TomlOptions {
    /// `parse-toml-timestamps`: timestamps become `{ _type = "timestamp"; value; }` sets.
    pub timestamps: bool,
}

/// A TOML timestamp as toml11 prints it: fractional seconds in groups of 3, 6 or 9 digits.
pub fn format_datetime(d: &::toml::value::Datetime) -> String {
    let mut out = String::new();
    if let Some(date) = &d.date {
        let _ = write!(out, "{:04}-{:02}-{:02}", date.year, date.month, date.day);
        if d.time.is_some() {
            out.push('T');
        }
    }
    if let Some(time) = &d.time {
        let _ = write!(out, "{:02}:{:02}:{:02}", time.hour, time.minute, time.second.unwrap_or(0));
        if let Some(ns) = time.nanosecond.filter(|&ns| ns > 0) {
            if ns % 1_000_000 == 0 {
                let _ = write!(out, ".{:03}", ns / 1_000_000);
            } else if ns % 1_000 == 0 {
                let _ = write!(out, ".{:06}", ns / 1_000);
            } else {
                let _ = write!(out, ".{ns:09}");
            }
        }
    }
    match d.offset {
        Some(::toml::value::Offset::Z) => out.push('Z'),
        Some(::toml::value::Offset::Custom { minutes }) => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let m = minutes.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", m / 60, m % 60);
        }
        None => {}
    }
    out
}

/// A parse error in toml11's words where CppNix's tests pin them (integers out of range),
/// else the `toml` crate's.
fn describe_toml_error(text: &str, e: &::toml::de::Error) -> String {
    let m = e.message();
    let out_of_range = m.contains("too large") || m.contains("too small") || m.contains("as i128");
    let Some(span) = e.span().filter(|_| out_of_range) else { return e.to_string() };
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let line_no = text[..line_start].matches('\n').count() + 1;
    let caret = " ".repeat(span.end - line_start);
    format!(
        "[error] toml::parse_dec_integer: too large integer: current max digits = 2^63\n --> fromTOML\n   |\n \
         {line_no} | {}\n   | {caret}^-- must be < 2^63\n",
        &text[line_start..line_end]
    )
}

impl Vm {
    /// The Nix value of a TOML document (`builtins.fromTOML`).
    pub fn from_toml_text(&mut self, text: &[u8], options: TomlOptions) -> EvalResult<Value> {
        let parse_error = |m: String| EvalError::type_error(format!("while parsing TOML: {m}"));
        let text = std::str::from_utf8(text).map_err(|e| parse_error(e.to_string()))?;
        let table: ::toml::Table =
            text.parse().map_err(|e: ::toml::de::Error| parse_error(describe_toml_error(text, &e)))?;
        self.toml_to_value(&::toml::Value::Table(table), options)
            .map_err(|e| if e.message.starts_with("while parsing TOML") { e } else { parse_error(format!("error: {}", e.message)) })
    }

    fn toml_to_value(&mut self, v: &::toml::Value, options: TomlOptions) -> EvalResult<Value> {
        use ::toml::Value as T;
        Ok(match v {
            T::String(s) => {
                check_no_nul(s)?;
                self.new_string(s.as_bytes())
            }
            T::Integer(i) => Value::Int(*i),
            T::Float(f) => Value::Float(*f),
            T::Boolean(b) => Value::Bool(*b),
            T::Datetime(d) => {
                if !options.timestamps {
                    return Err(EvalError::type_error("while parsing TOML: Dates and times are not supported"));
                }
                let text = format_datetime(d);
                let value = self.new_string(text.into_bytes());
                let ty = self.new_string(b"timestamp".as_slice());
                let (ts, vs) = (self.intern(b"_type"), self.syms.value);
                self.new_attrs(Attrs::from_unsorted(vec![(ts, ty), (vs, value)]))
            }
            T::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.toml_to_value(item, options)?);
                }
                self.new_list(out)
            }
            T::Table(t) => {
                let mut entries = Vec::with_capacity(t.len());
                for (k, item) in t {
                    check_no_nul(k)?;
                    let sym = self.intern(k.as_bytes());
                    entries.push((sym, self.toml_to_value(item, options)?));
                }
                self.new_attrs(Attrs::from_unsorted(entries))
            }
        })
    }
}

/// O(length of the text). Timestamps are an error (the experimental feature is off).
pub(super) fn from_toml(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (text, _) = vm.expect_string(a[0]).trace(|| nth_arg(0, "fromTOML"))?;
    let timestamps = vm.config.experimental_features.iter().any(|f| f == "parse-toml-timestamps");
    vm.from_toml_text(&text, TomlOptions { timestamps })
}
