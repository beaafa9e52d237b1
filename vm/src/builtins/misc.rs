//! Small builtins: bitwise operations, `floor`/`ceil`, `addErrorContext`, `warn`,
//! `traceVerbose`, `break` and `currentTime`.

use super::{nth_arg, TraceExt};
use crate::error::{EvalError, EvalResult, TraceEntry};
use crate::ops::Coercion;
use crate::value::Value;
use crate::Vm;

fn bit_op(vm: &mut Vm, a: &[Value], name: &str, op: fn(i64, i64) -> i64) -> EvalResult<Value> {
    let x = vm.expect_int(a[0]).trace(|| nth_arg(0, name))?;
    let y = vm.expect_int(a[1]).trace(|| nth_arg(1, name))?;
    Ok(Value::Int(op(x, y)))
}

/// O(1).
pub(super) fn bit_and(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    bit_op(vm, a, "bitAnd", |x, y| x & y)
}

/// O(1).
pub(super) fn bit_or(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    bit_op(vm, a, "bitOr", |x, y| x | y)
}

/// O(1).
pub(super) fn bit_xor(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    bit_op(vm, a, "bitXor", |x, y| x ^ y)
}

fn round(vm: &mut Vm, a: &[Value], name: &str, f: fn(f64) -> f64) -> EvalResult<Value> {
    match vm.force(a[0])? {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(x) => {
            let r = f(x);
            // `as` saturates; CppNix refuses values outside the integer range.
            if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                return Err(EvalError::type_error(format!(
                    "float {} cannot be converted to an integer",
                    crate::print::format_float(x)
                )));
            }
            Ok(Value::Int(r as i64))
        }
        other => Err(vm.expected(&other, "a float")).trace(|| nth_arg(0, name)),
    }
}

/// O(1); integers are returned as they are.
pub(super) fn floor(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    round(vm, a, "floor", f64::floor)
}

/// O(1); integers are returned as they are.
pub(super) fn ceil(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    round(vm, a, "ceil", f64::ceil)
}

/// Forces the second argument; if that fails, the first (coerced to a string only then) is
/// added to the error's trace. Catchable errors stay catchable.
pub(super) fn add_error_context(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    match vm.force(a[1]) {
        Ok(v) => Ok(v),
        Err(mut e) => {
            if let Ok((msg, _)) = vm.coerce_to_string(a[0], Coercion::Interpolation, false) {
                e.trace.push(TraceEntry { message: String::from_utf8_lossy(&msg).into_owned(), pos: None });
            }
            Err(e)
        }
    }
}

/// The text of a warning as CppNix prints it: `evaluation warning: ` before the first line
/// and the following lines indented to match, unless the message starts with a newline.
pub fn warning_text(msg: &str) -> String {
    const PREFIX: &str = "evaluation warning:";
    if msg.starts_with('\n') {
        return format!("{PREFIX}{msg}");
    }
    let indent = " ".repeat(PREFIX.len() + 1);
    let mut out = format!("{PREFIX} ");
    for (i, line) in msg.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indent);
            }
        }
        out.push_str(line);
    }
    out
}

/// Prints the first argument (a string) as a warning to stderr; returns the second.
pub(super) fn warn(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (msg, _) = vm.expect_string(a[0]).trace(|| nth_arg(0, "warn"))?;
    eprintln!("{}", warning_text(&String::from_utf8_lossy(&msg)));
    Ok(a[1])
}

/// Returns the second argument: verbose tracing (`--trace-verbose`) is off.
pub(super) fn trace_verbose(_vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(a[1])
}

/// The identity: there is no debugger to break into.
pub(super) fn break_(_vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(a[0])
}

/// Seconds since the epoch, read once when the builtins are installed (so constant for an
/// evaluation).
pub(super) fn current_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Edition 2026 only, as the global `dbg` (not in the `builtins` set): `dbg e` is lowered to this
/// builtin applied to the position of `dbg` and the source text of `e`. Forces `e` to weak head
/// normal form, prints `[file:line:col] e = value` to stderr and returns the value.
/// O(size of the printed value).
pub(super) fn dbg(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let pos = vm.force(a[0])?;
    let mut location = String::new();
    if let Value::Attrs(g) = pos {
        let syms = [vm.syms.file, vm.syms.line, vm.syms.column];
        for (i, sym) in syms.into_iter().enumerate() {
            let part = vm.heap.attrs(g).get(sym).unwrap_or(Value::Null);
            let part = vm.force(part)?;
            if i > 0 {
                location.push(':');
            }
            match part {
                Value::String(s) => location.push_str(&String::from_utf8_lossy(&vm.heap.str(s).bytes)),
                other => location.push_str(&vm.print_value(other)),
            }
        }
    }
    let text = match vm.force(a[1])? {
        Value::String(s) => String::from_utf8_lossy(&vm.heap.str(s).bytes).into_owned(),
        _ => String::new(),
    };
    let value = vm.force(a[2])?;
    let printed = vm.print_value(value);
    if text.is_empty() {
        eprintln!("[{location}] {printed}");
    } else {
        eprintln!("[{location}] {text} = {printed}");
    }
    Ok(value)
}
