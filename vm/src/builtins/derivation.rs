//! `derivationStrict` (the attributes of a derivation gathered into a [`DerivationSpec`] and
//! instantiated through `EvalIO`) and `derivation`, the wrapper CppNix writes in Nix: ours is
//! the small Nix file [`DERIVATION_NIX`], loaded on first use.

use super::{expect_string_no_ctx, lossy, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult, Warning, WarningLayout};
use crate::io::{DerivationSpec, FixedOutput};
use crate::ops::{merge_context, Coercion};
use crate::value::{Attrs, Context, Value};
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
fn experimental(feature: &str) -> EvalError {
    EvalError::new(
        ErrorKind::Other,
        format!("experimental Nix feature '{feature}' is disabled; add '--extra-experimental-features {feature}' to enable it"),
    )
}

/// `derivationStrict attrs`: instantiates the derivation; `{ drvPath; <output> = path; … }`.
/// O(size of the attributes) plus the store's hashing, which is O(size of the `.drv`) with the
/// modulo hashes of inputs memoised.
pub(super) fn derivation_strict(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| "while evaluating the argument passed to builtins.derivationStrict".into())?;
    let name_v = vm
        .heap
        .attrs(g)
        .get(vm.syms.name)
        .ok_or_else(|| EvalError::type_error("attribute 'name' missing"))
        .trace(|| "in the attrset passed as argument to builtins.derivationStrict".into())?;
    let name = expect_string_no_ctx(vm, name_v)
        .trace(|| "while evaluating the `name` attribute passed to builtins.derivationStrict".into())
        .trace(|| "while evaluating the derivation attribute 'name'".into())?;
    let name = lossy(&name);
    let mark = vm.root(a[0]);
    let r = strict_internal(vm, g, &name);
    vm.unroot(mark);
    let name_pos = vm.heap.attrs(g).position(vm.syms.name);
    r.trace(|| match name_pos {
        Some(pos) => format!("while evaluating derivation '{name}'\nwhose name attribute is located at {}", vm.show_pos(pos)),
        None => format!("while evaluating derivation '{name}'"),
    })
}

/// Output checks that a structured-attrs derivation takes from `outputChecks` instead: given at
/// the top level they have no effect, and a warning says so.
const LEGACY_OUTPUT_CHECKS: [&str; 6] =
    ["allowedReferences", "allowedRequisites", "disallowedReferences", "disallowedRequisites", "maxSize", "maxClosureSize"];

fn strict_internal(vm: &mut Vm, g: crate::value::Gc, name: &str) -> EvalResult<Value> {
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

    let mut spec = DerivationSpec { name: name.to_string(), outputs: vec!["out".to_string()], ..Default::default() };
    let mut json: Vec<(Vec<u8>, String)> = Vec::new();
    let mut context = Context::new();
    let mut output_hash: Option<Vec<u8>> = None;
    let mut output_hash_algo: Vec<u8> = Vec::new();
    let mut recursive: Option<bool> = None;

    for (sym, value) in vm.sorted_attrs(g) {
        if sym == ignore_nulls_sym {
            continue;
        }
        let key = vm.symbols.name(sym).to_vec();
        let r: EvalResult<()> = (|| {
            if ignore_nulls && matches!(vm.force(value)?, Value::Null) {
                return Ok(());
            }
            match &key[..] {
                b"__contentAddressed" if vm.expect_bool(value)? => return Err(experimental("ca-derivations")),
                b"__impure" if vm.expect_bool(value)? => return Err(experimental("impure-derivations")),
                b"args" => {
                    let l = vm.expect_list(value)?;
                    let n = vm.heap.list(l).len();
                    for i in 0..n {
                        let item = vm.heap.list(l)[i];
                        let (s, c) = vm
                            .coerce_to_string(item, Coercion::ToString, true)
                            .trace(|| "while evaluating an element of the argument list".into())?;
                        merge_context(&mut context, c);
                        spec.args.push(s);
                    }
                    return Ok(());
                }
                _ => {}
            }
            if structured {
                if sym == structured_sym {
                    return Ok(());
                }
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
                vm.write_json(value, &mut out, &mut context)?;
                json.push((key.clone(), out));
                match &key[..] {
                    b"builder" => {
                        let (s, c) = vm.expect_string(value)?;
                        merge_context(&mut context, c);
                        spec.builder = s;
                    }
                    b"system" => spec.system = expect_string_no_ctx(vm, value)?,
                    b"outputHash" => output_hash = Some(expect_string_no_ctx(vm, value)?),
                    b"outputHashAlgo" => output_hash_algo = expect_string_no_ctx(vm, value)?,
                    b"outputHashMode" => recursive = Some(hash_mode(&expect_string_no_ctx(vm, value)?)?),
                    b"outputs" => {
                        let l = vm.expect_list(value)?;
                        let n = vm.heap.list(l).len();
                        let mut names = Vec::with_capacity(n);
                        for i in 0..n {
                            let item = vm.heap.list(l)[i];
                            names.push(expect_string_no_ctx(vm, item)?);
                        }
                        set_outputs(&mut spec.outputs, names)?;
                    }
                    _ => {}
                }
            } else {
                let (s, c) = vm.coerce_to_string(value, Coercion::ToString, true)?;
                merge_context(&mut context, c);
                match &key[..] {
                    b"builder" => spec.builder = s.clone(),
                    b"system" => spec.system = s.clone(),
                    b"outputHash" => output_hash = Some(s.clone()),
                    b"outputHashAlgo" => output_hash_algo = s.clone(),
                    b"outputHashMode" => recursive = Some(hash_mode(&s)?),
                    b"outputs" => {
                        let names = s
                            .split(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                            .filter(|w| !w.is_empty())
                            .map(<[u8]>::to_vec)
                            .collect();
                        set_outputs(&mut spec.outputs, names)?;
                    }
                    _ => {}
                }
                spec.env.push((key.clone(), s));
            }
            Ok(())
        })();
        let pos = vm.heap.attrs(g).position(sym);
        r.trace_at(pos, || format!("while evaluating attribute '{}' of derivation '{name}'", lossy(&key)))?;
    }

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
    if name.ends_with(".drv") {
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

    let paths = vm.io.derivation(&spec).map_err(|m| EvalError::new(ErrorKind::Other, m))?;
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
