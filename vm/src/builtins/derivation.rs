//! `derivationStrict` (the attributes of a derivation gathered into a [`DerivationSpec`] and
//! instantiated through `EvalIO`) and `derivation`, the wrapper CppNix writes in Nix: ours is
//! the small Nix file [`DERIVATION_NIX`], loaded on first use.

use super::{expect_string_no_ctx, lossy, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult, Warning, WarningLayout};
use crate::io::{DerivationSpec, FixedOutput};
use crate::ops::{merge_context, Coercion};
use crate::error::TraceEntry;
use crate::symbol::Symbol;
use crate::value::{Attrs, Context, Gc, Value};
use crate::Vm;

/// Where the wrapper's source claims to live (as CppNix names its own), for traces.
const DERIVATION_NIX_PATH: &str = "«nix-internal»/derivation-internal.nix";

/// The `derivation` wrapper: the set of the first output, every output's set being the
/// attributes given, plus each output by name, `all`, `drvAttrs`, and its own `outPath`,
/// `drvPath`, `type` and `outputName`. The layout keeps `strict` on line 36 and `outPath` on
/// line 49, where CppNix's traces point.
const DERIVATION_NIX: &str = r#"# lixc's `derivation`: a wrapper around the `derivationStrict` builtin.
#
# `derivationStrict` instantiates the derivation and returns only its paths:
#
#   { drvPath = "/nix/store/…-name.drv"; out = "/nix/store/…-name"; … }
#
# This wrapper turns them into the value Nix code works with. For every
# output `o` it makes a set holding
#
#   - every attribute that was passed in (so `drv.name`, `drv.system`, … work),
#   - every output's set by name (`drv.dev`, `drv.out`, …),
#   - `all`, the list of the output sets,
#   - `drvAttrs`, the attributes that were passed in,
#   - `outPath` (the path of `o`), `drvPath`, `type = "derivation"` and
#     `outputName = o`.
#
# The result is the set of the first output in `outputs`.
#
# Everything stays lazy: nothing is instantiated until a path is needed.
#
#
#
#
#
#
#

drvAttrs@{
  outputs ? [ "out" ],
  ...
}:

let


  strict = derivationStrict drvAttrs;

  commonAttrs =
    drvAttrs
    // (builtins.listToAttrs outputsList)
    // {
      all = map (x: x.value) outputsList;
      inherit drvAttrs;
    };

  outputToAttrListElement = outputName: {
    name = outputName;
    value = commonAttrs // {
      outPath = strict.${outputName};
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };

  outputsList = map outputToAttrListElement outputs;

in
(builtins.head outputsList).value
"#;

/// The name under which the loaded wrapper is kept among the globals; no Nix code can name it.
const CACHE_NAME: &[u8] = "«derivation»".as_bytes();

/// `derivation attrs`: the wrapper applied to `attrs` (the wrapper is loaded once per VM).
pub(super) fn derivation(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let key = vm.intern(CACHE_NAME);
    let f = match vm.globals.get(&key) {
        Some(&f) => f,
        None => {
            let f = vm.eval_source(DERIVATION_NIX_PATH, DERIVATION_NIX, "/")?;
            vm.globals.insert(key, f);
            f
        }
    };
    vm.call(f, a[0])
}

/// How `outputHashMode` reads.
fn hash_mode(s: &[u8]) -> EvalResult<bool> {
    match s {
        b"recursive" | b"nar" => Ok(true),
        b"flat" => Ok(false),
        b"text" => Err(EvalError::new(
            ErrorKind::Other,
            "experimental Nix feature 'dynamic-derivations' is disabled; add '--extra-experimental-features dynamic-derivations' to enable it",
        )),
        b"git" => Err(EvalError::new(
            ErrorKind::Other,
            "experimental Nix feature 'git-hashing' is disabled; add '--extra-experimental-features git-hashing' to enable it",
        )),
        _ => Err(EvalError::new(
            ErrorKind::Other,
            format!("invalid value '{}' for 'outputHashMode' attribute", lossy(s)),
        )),
    }
}

/// Checks and records the output names (CppNix's `handleOutputs`).
fn set_outputs(outputs: &mut Vec<String>, names: Vec<Vec<u8>>) -> EvalResult<()> {
    outputs.clear();
    for n in names {
        let n = lossy(&n);
        if outputs.contains(&n) {
            return Err(EvalError::new(ErrorKind::Other, format!("duplicate derivation output '{n}'")));
        }
        if n == "drvPath" {
            return Err(EvalError::new(ErrorKind::Other, "invalid derivation output name 'drvPath'"));
        }
        outputs.push(n);
    }
    if outputs.is_empty() {
        return Err(EvalError::new(ErrorKind::Other, "derivation cannot have an empty set of outputs"));
    }
    outputs.sort();
    Ok(())
}

/// An experimental feature's error.
#[cold]
#[inline(never)]
fn experimental(feature: &str) -> EvalError {
    EvalError::new(
        ErrorKind::Other,
        format!("experimental Nix feature '{feature}' is disabled; add '--extra-experimental-features {feature}' to enable it"),
    )
}

/// `derivationStrict attrs`: instantiates the derivation; `{ drvPath; <output> = path; … }`.
/// O(size of the attributes) plus the store's hashing, which is O(size of the `.drv`) with the
/// modulo hashes of inputs memoised.
///
/// A derivation's attributes usually force its inputs' `derivationStrict`, so a graph of
/// derivations recurses through here once per level of depth: the functions on that path keep
/// their stack frames small (the gathered state lives in a box, and everything that is not the
/// attribute loop itself — error frames, warnings, the store call, the result — is out of line).
pub(super) fn derivation_strict(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).map_err(|e| push_frame(e, None, "while evaluating the argument passed to builtins.derivationStrict"))?;
    let name = derivation_name(vm, g)?;
    let mark = vm.root(a[0]);
    let r = strict_internal(vm, g, &name);
    vm.unroot(mark);
    r.map_err(|e| derivation_frame(vm, g, &name, e))
}

/// The `name` attribute of the set `g`, checked (no context).
#[inline(never)]
fn derivation_name(vm: &mut Vm, g: Gc) -> EvalResult<String> {
    let name_v = vm
        .heap
        .attrs(g)
        .get(vm.syms.name)
        .ok_or_else(|| EvalError::type_error("attribute 'name' missing"))
        .trace(|| "in the attrset passed as argument to builtins.derivationStrict".into())?;
    let name = expect_string_no_ctx(vm, name_v)
        .trace(|| "while evaluating the `name` attribute passed to builtins.derivationStrict".into())
        .trace(|| "while evaluating the derivation attribute 'name'".into())?;
    Ok(lossy(&name))
}

/// `e` with the frame naming the derivation being evaluated.
#[cold]
#[inline(never)]
fn derivation_frame(vm: &Vm, g: Gc, name: &str, e: EvalError) -> EvalError {
    let message = match vm.heap.attrs(g).position(vm.syms.name) {
        Some(pos) => format!("while evaluating derivation '{name}'\nwhose name attribute is located at {}", vm.show_pos(pos)),
        None => format!("while evaluating derivation '{name}'"),
    };
    push_frame_string(e, None, message)
}

/// `e` with `message` as its innermost trace frame.
#[cold]
#[inline(never)]
fn push_frame(e: EvalError, pos: Option<crate::Pos>, message: &'static str) -> EvalError {
    push_frame_string(e, pos, message.to_string())
}

/// `e` with `message` as its innermost trace frame.
#[cold]
#[inline(never)]
fn push_frame_string(mut e: EvalError, pos: Option<crate::Pos>, message: String) -> EvalError {
    e.trace.push(TraceEntry { message, pos });
    e
}

/// Output checks that a structured-attrs derivation takes from `outputChecks` instead: given at
/// the top level they have no effect, and a warning says so.
const LEGACY_OUTPUT_CHECKS: [&str; 6] =
    ["allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites", "maxSize", "maxClosureSize"];

/// What `derivationStrict` gathers from the attributes, one at a time.
struct Gather {
    /// `builder`.
    builder: Vec<u8>,
    /// `system`.
    system: Vec<u8>,
    /// `args`.
    args: Vec<Vec<u8>>,
    /// The environment so far.
    env: Vec<(Vec<u8>, Vec<u8>)>,
    /// `outputs`, checked and sorted; empty until given (then it is `out` alone).
    outputs: Vec<String>,
    /// With `__structuredAttrs`: each attribute's JSON, in order.
    json: Vec<(Vec<u8>, String)>,
    /// The union of the attributes' string contexts.
    context: Context,
    /// `outputHash`, if given.
    output_hash: Option<Vec<u8>>,
    /// `outputHashAlgo` (empty if not given).
    output_hash_algo: Vec<u8>,
    /// `outputHashMode`: whether recursive (NAR), if given.
    recursive: Option<bool>,
    /// `__structuredAttrs`.
    structured: bool,
    /// `__ignoreNulls`.
    ignore_nulls: bool,
    /// The symbol `__structuredAttrs`.
    structured_sym: Symbol,
    /// The symbol `__ignoreNulls`.
    ignore_nulls_sym: Symbol,
}

/// The attribute loop: the part of `derivationStrict` that is on the stack while an
/// attribute's value is evaluated (see [`derivation_strict`]).
#[inline(always)]
fn strict_internal(vm: &mut Vm, g: Gc, name: &str) -> EvalResult<Value> {
    let mut st = start(vm, g)?;
    for i in sorted_order(vm, g) {
        let (sym, value) = vm.heap.attrs(g).entries[i as usize];
        if sym == st.ignore_nulls_sym {
            continue;
        }
        if let Err(e) = gather_attr(vm, &mut st, g, name, sym, value) {
            return Err(attribute_frame(vm, g, sym, name, e));
        }
    }
    finish(vm, st, name)
}

/// The positions of the attributes of `g` in the order of their names (the order in which
/// `derivationStrict` evaluates them). Indices rather than entries: this is held on the heap
/// for every derivation being instantiated at once.
#[inline(never)]
fn sorted_order(vm: &Vm, g: Gc) -> Vec<u32> {
    let entries = &vm.heap.attrs(g).entries;
    let mut order: Vec<u32> = (0..entries.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| vm.symbols.cmp(entries[a as usize].0, entries[b as usize].0));
    order
}

/// The gathering state for the set `g`, with its `__structuredAttrs` and `__ignoreNulls` read.
#[inline(never)]
fn start(vm: &mut Vm, g: Gc) -> EvalResult<Box<Gather>> {
    let structured_sym = vm.intern(b"__structuredAttrs");
    let ignore_nulls_sym = vm.intern(b"__ignoreNulls");
    let structured = match vm.heap.attrs(g).get(structured_sym) {
        Some(v) => vm
            .expect_bool(v)
            .trace(|| "while evaluating the `__structuredAttrs` attribute passed to builtins.derivationStrict".into())?,
        None => false,
    };
    let ignore_nulls = match vm.heap.attrs(g).get(ignore_nulls_sym) {
        Some(v) => vm
            .expect_bool(v)
            .trace(|| "while evaluating the `__ignoreNulls` attribute passed to builtins.derivationStrict".into())?,
        None => false,
    };
    Ok(Box::new(Gather {
        builder: Vec::new(),
        system: Vec::new(),
        args: Vec::new(),
        env: Vec::new(),
        outputs: Vec::new(),
        json: Vec::new(),
        context: Context::new(),
        output_hash: None,
        output_hash_algo: Vec::new(),
        recursive: None,
        structured,
        ignore_nulls,
        structured_sym,
        ignore_nulls_sym,
    }))
}

/// `e` with the frame naming the attribute `sym` of the derivation.
#[cold]
#[inline(never)]
fn attribute_frame(vm: &Vm, g: Gc, sym: Symbol, name: &str, e: EvalError) -> EvalError {
    let pos = vm.heap.attrs(g).position(sym);
    let message = format!("while evaluating attribute '{}' of derivation '{name}'", lossy(vm.symbols.name(sym)));
    push_frame_string(e, pos, message)
}

/// Takes in the attribute `sym = value`.
#[inline(never)]
fn gather_attr(vm: &mut Vm, st: &mut Gather, g: Gc, name: &str, sym: Symbol, value: Value) -> EvalResult<()> {
    if gather_special(vm, st, g, name, sym, value)? {
        return Ok(());
    }
    let (s, c) = vm.coerce_to_string(value, Coercion::ToString, true)?;
    record_env(vm, st, sym, s, c)
}

/// Takes in the attribute `sym = value` if it is not simply a string for the environment:
/// a null with `__ignoreNulls`, `args`, the feature flags, any attribute of a
/// `__structuredAttrs` derivation. Whether it was taken.
#[inline(never)]
fn gather_special(vm: &mut Vm, st: &mut Gather, g: Gc, name: &str, sym: Symbol, value: Value) -> EvalResult<bool> {
    if st.ignore_nulls && matches!(vm.force(value)?, Value::Null) {
        return Ok(true);
    }
    match vm.symbols.name(sym) {
        b"__contentAddressed" => {
            if vm.expect_bool(value)? {
                return Err(experimental("ca-derivations"));
            }
        }
        b"__impure" => {
            if vm.expect_bool(value)? {
                return Err(experimental("impure-derivations"));
            }
        }
        b"args" => return gather_args(vm, st, value).map(|()| true),
        _ => {}
    }
    if st.structured {
        return gather_structured(vm, st, g, name, sym, value).map(|()| true);
    }
    Ok(false)
}

/// Takes in `args`, a list of strings.
#[inline(never)]
fn gather_args(vm: &mut Vm, st: &mut Gather, value: Value) -> EvalResult<()> {
    let l = vm.expect_list(value)?;
    let n = vm.heap.list(l).len();
    for i in 0..n {
        let item = vm.heap.list(l)[i];
        let (s, c) = vm
            .coerce_to_string(item, Coercion::ToString, true)
            .map_err(|e| push_frame(e, None, "while evaluating an element of the argument list"))?;
        merge_context(&mut st.context, c);
        st.args.push(s);
    }
    Ok(())
}

/// Records the attribute `sym`, whose value coerced to `s` with context `c`, in the environment
/// (and in the fields that the attributes with special meanings set).
#[inline(never)]
fn record_env(vm: &Vm, st: &mut Gather, sym: Symbol, s: Vec<u8>, c: Context) -> EvalResult<()> {
    merge_context(&mut st.context, c);
    let key = vm.symbols.name(sym);
    match key {
        b"builder" => st.builder = s.clone(),
        b"system" => st.system = s.clone(),
        b"outputHash" => st.output_hash = Some(s.clone()),
        b"outputHashAlgo" => st.output_hash_algo = s.clone(),
        b"outputHashMode" => st.recursive = Some(hash_mode(&s)?),
        b"outputs" => {
            let names = s
                .split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .filter(|w| !w.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            set_outputs(&mut st.outputs, names)?;
        }
        _ => {}
    }
    st.env.push((key.to_vec(), s));
    Ok(())
}

/// Takes in the attribute `sym = value` of a `__structuredAttrs` derivation.
#[inline(never)]
fn gather_structured(vm: &mut Vm, st: &mut Gather, g: Gc, name: &str, sym: Symbol, value: Value) -> EvalResult<()> {
    if sym == st.structured_sym {
        return Ok(());
    }
    let key = vm.symbols.name(sym).to_vec();
    if let Some(check) = LEGACY_OUTPUT_CHECKS.iter().find(|c| c.as_bytes() == &key[..]) {
        let pos = vm.heap.attrs(g).position(sym);
        vm.warnings.push(Warning {
            message: format!(
                "'structuredAttrs' disables the effect of the derivation attribute '{check}'; use 'outputChecks.<output>.{check}' instead"
            ),
            pos,
            layout: WarningLayout::Traced(vec![format!("while evaluating derivation '{name}'")]),
        });
    }
    let mut out = String::new();
    vm.write_json(value, &mut out, &mut st.context)?;
    st.json.push((key.clone(), out));
    match &key[..] {
        b"builder" => {
            let (s, c) = vm.expect_string(value)?;
            merge_context(&mut st.context, c);
            st.builder = s;
        }
        b"system" => st.system = expect_string_no_ctx(vm, value)?,
        b"outputHash" => st.output_hash = Some(expect_string_no_ctx(vm, value)?),
        b"outputHashAlgo" => st.output_hash_algo = expect_string_no_ctx(vm, value)?,
        b"outputHashMode" => st.recursive = Some(hash_mode(&expect_string_no_ctx(vm, value)?)?),
        b"outputs" => {
            let l = vm.expect_list(value)?;
            let n = vm.heap.list(l).len();
            let mut names = Vec::with_capacity(n);
            for i in 0..n {
                let item = vm.heap.list(l)[i];
                names.push(expect_string_no_ctx(vm, item)?);
            }
            set_outputs(&mut st.outputs, names)?;
        }
        _ => {}
    }
    Ok(())
}

/// Checks what was gathered, instantiates the derivation and makes the result set.
#[inline(never)]
fn finish(vm: &mut Vm, st: Box<Gather>, name: &str) -> EvalResult<Value> {
    let Gather { builder, system, args, env, mut outputs, json, context, output_hash, output_hash_algo, recursive, structured, .. } =
        *st;
    if outputs.is_empty() {
        outputs.push("out".to_string());
    }
    let mut spec = DerivationSpec { name: name.to_string(), builder, system, args, env, outputs, ..Default::default() };
    if structured {
        let mut text = String::from("{");
        for (i, (k, v)) in json.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(&lossy(k)).unwrap_or_default());
            text.push(':');
            text.push_str(v);
        }
        text.push('}');
        spec.env.push((b"__json".to_vec(), text.into_bytes()));
    }
    spec.env.sort();
    spec.env.dedup_by(|b, a| a.0 == b.0);

    for c in &context {
        if let Some(drv) = c.strip_prefix('=') {
            spec.input_drvs_deep.push(drv.to_string());
        } else if let Some(rest) = c.strip_prefix('!') {
            let (output, drv) = rest.split_once('!').unwrap_or((rest, ""));
            match spec.input_drvs.iter_mut().find(|(d, _)| d == drv) {
                Some((_, outs)) => outs.push(output.to_string()),
                None => spec.input_drvs.push((drv.to_string(), vec![output.to_string()])),
            }
        } else {
            spec.input_srcs.push(c.to_string());
        }
    }
    for (_, outs) in &mut spec.input_drvs {
        outs.sort();
        outs.dedup();
    }
    spec.input_drvs.sort();

    if spec.builder.is_empty() {
        return Err(EvalError::new(ErrorKind::Other, "required attribute 'builder' missing"));
    }
    if spec.system.is_empty() {
        return Err(EvalError::new(ErrorKind::Other, "required attribute 'system' missing"));
    }
    if spec.name.ends_with(".drv") {
        return Err(EvalError::new(
            ErrorKind::Other,
            "derivation names are allowed to end in '.drv' only if they produce a single derivation file",
        ));
    }
    if let Some(hash) = output_hash {
        if spec.outputs != ["out"] {
            return Err(EvalError::new(ErrorKind::Other, "multiple outputs are not supported in fixed-output derivations"));
        }
        spec.fixed =
            Some(FixedOutput { algo: lossy(&output_hash_algo), hash: lossy(&hash), recursive: recursive.unwrap_or(false) });
    }

    let paths = vm.io.derivation(spec).map_err(|m| EvalError::new(ErrorKind::Other, m))?;
    let drv_path_sym = vm.intern(b"drvPath");
    let drv = paths.drv_path;
    let mut entries = Vec::with_capacity(paths.outputs.len() + 1);
    let v = vm.new_string_ctx(drv.clone().into_bytes(), vec![format!("={drv}").into()]);
    entries.push((drv_path_sym, v));
    for (output, path) in paths.outputs {
        let sym = vm.intern(output.as_bytes());
        let v = vm.new_string_ctx(path.into_bytes(), vec![format!("!{output}!{drv}").into()]);
        entries.push((sym, v));
    }
    Ok(vm.new_attrs(Attrs::from_unsorted(entries)))
}
