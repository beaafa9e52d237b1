//! The builtins the language itself needs, and the table that names them. Each builtin is a
//! native function of fixed arity; its doc comment gives its cost in terms of its inputs.
//! Builtins force exactly what CppNix forces, so laziness is the same.

mod attrs;
mod derivation;
mod fetch;
mod files;
mod flake_ref;
mod hash;
mod import;
mod json;
mod lists;
mod misc;
mod regex;
mod store;
mod strings;
mod toml;
mod versions;
mod xml;

pub use self::toml::TomlOptions;
pub use self::xml::XmlMode;

use crate::error::{ErrorKind, EvalError, EvalResult, TraceEntry};
use crate::ops::Coercion;
use crate::symbol::Symbol;
use crate::value::{Attrs, ThunkState, Value};
use crate::Vm;

/// The line CppNix's command line prints after a usage error (some builtins raise those); the
/// error printer leaves it unindented, as CppNix does.
pub const USAGE_HINT: &str = "Try 'nix-instantiate --help' for more information.";

/// A native function.
pub type NativeFn = fn(&mut Vm, &[Value]) -> EvalResult<Value>;

/// One builtin.
pub struct BuiltinDef {
    /// Its name in `builtins`.
    pub name: &'static str,
    /// The path of its native function in this module (the key of its documentation).
    pub function: &'static str,
    /// How many arguments it takes.
    pub arity: u8,
    /// The implementation.
    pub f: NativeFn,
    /// Whether it is also in the global scope under its own name (not only `__name`).
    pub global: bool,
}

macro_rules! table {
    ($($name:literal $arity:literal $f:path, $global:literal,)*) => {
        /// Every builtin.
        pub static TABLE: &[BuiltinDef] = &[
            $(BuiltinDef { name: $name, function: stringify!($f), arity: $arity, f: $f, global: $global },)*
        ];
    };
}

include!(concat!(env!("OUT_DIR"), "/builtin_docs.rs"));

impl BuiltinDef {
    /// The doc comment of its native function: what it does, what it costs in terms of its
    /// inputs, and whether it touches the store.
    pub fn doc(&self) -> &'static str {
        let key: String = self.function.chars().filter(|c| !c.is_whitespace()).collect();
        BUILTIN_DOCS.iter().find(|(name, _)| *name == key).map_or("", |(_, doc)| doc)
    }
}

table! {
    "abort" 1 abort, true,
    "add" 2 add, false,
    "addDrvOutputDependencies" 1 strings::add_drv_output_dependencies, false,
    "addErrorContext" 2 misc::add_error_context, false,
    "all" 2 lists::all, false,
    "any" 2 lists::any, false,
    "appendContext" 2 strings::append_context, false,
    "attrNames" 1 attr_names, false,
    "attrValues" 1 attr_values, false,
    "baseNameOf" 1 strings::base_name_of, true,
    "bitAnd" 2 misc::bit_and, false,
    "bitOr" 2 misc::bit_or, false,
    "bitXor" 2 misc::bit_xor, false,
    "break" 1 misc::break_, true,
    "catAttrs" 2 attrs::cat_attrs, false,
    "ceil" 1 misc::ceil, false,
    "compareVersions" 2 versions::compare_versions, false,
    "concatLists" 1 concat_lists, false,
    "concatMap" 2 lists::concat_map, false,
    "concatStringsSep" 2 strings::concat_strings_sep, false,
    "convertHash" 1 hash::convert_hash, false,
    "dbg" 3 misc::dbg, false,
    "deepSeq" 2 deep_seq, false,
    "derivation" 1 derivation::derivation, true,
    "derivationStrict" 1 derivation::derivation_strict, true,
    "dirOf" 1 strings::dir_of, true,
    "div" 2 div, false,
    "elem" 2 lists::elem, false,
    "elemAt" 2 elem_at, false,
    "filter" 2 filter, false,
    "fetchGit" 1 fetch::fetch_git, true,
    "fetchTarball" 1 fetch::fetch_tarball, true,
    "fetchTree" 1 fetch::fetch_tree, true,
    "fetchurl" 1 fetch::fetchurl, false,
    "filterSource" 2 store::filter_source, false,
    "findFile" 2 find_file, false,
    "flakeRefToString" 1 flake_ref::flake_ref_to_string, false,
    "floor" 1 misc::floor, false,
    "foldl'" 3 foldl, false,
    "fromJSON" 1 json::from_json, false,
    "fromTOML" 1 toml::from_toml, true,
    "functionArgs" 1 function_args, false,
    "genList" 2 gen_list, false,
    "genericClosure" 1 lists::generic_closure, false,
    "getAttr" 2 get_attr, false,
    "getContext" 1 strings::get_context, false,
    "getEnv" 1 get_env, false,
    "groupBy" 2 lists::group_by, false,
    "hasAttr" 2 has_attr, false,
    "hasContext" 1 strings::has_context, false,
    "hashFile" 2 hash::hash_file, false,
    "hashString" 2 hash::hash_string, false,
    "head" 1 head, false,
    "import" 1 import, true,
    "intersectAttrs" 2 attrs::intersect_attrs, false,
    "isAttrs" 1 is_attrs, false,
    "isBool" 1 is_bool, false,
    "isFloat" 1 is_float, false,
    "isFunction" 1 is_function, false,
    "isInt" 1 is_int, false,
    "isList" 1 is_list, false,
    "isNull" 1 is_null, true,
    "isPath" 1 is_path, false,
    "isString" 1 is_string, false,
    "length" 1 length, false,
    "lessThan" 2 less_than, false,
    "listToAttrs" 1 list_to_attrs, false,
    "map" 2 map, true,
    "mapAttrs" 2 map_attrs, false,
    "match" 2 regex::match_, false,
    "mul" 2 mul, false,
    "parseDrvName" 1 versions::parse_drv_name, false,
    "parseFlakeRef" 1 flake_ref::parse_flake_ref, false,
    "partition" 2 lists::partition, false,
    "path" 1 store::path, false,
    "pathExists" 1 files::path_exists, false,
    "placeholder" 1 store::placeholder, true,
    "readDir" 1 files::read_dir, false,
    "readFile" 1 files::read_file, false,
    "readFileType" 1 files::read_file_type, false,
    "removeAttrs" 2 remove_attrs, true,
    "replaceStrings" 3 strings::replace_strings, false,
    "scopedImport" 2 import::scoped_import, true,
    "seq" 2 seq, false,
    "sort" 2 lists::sort, false,
    "split" 2 regex::split, false,
    "splitVersion" 1 versions::split_version, false,
    "storePath" 1 store::store_path, false,
    "stringLength" 1 strings::string_length, false,
    "sub" 2 sub, false,
    "substring" 3 strings::substring, false,
    "tail" 1 tail, false,
    "throw" 1 throw, true,
    "toFile" 2 store::to_file, false,
    "toJSON" 1 json::to_json, false,
    "toPath" 1 files::to_path, false,
    "toString" 1 to_string, true,
    "toXML" 1 xml::to_xml, false,
    "trace" 2 trace, false,
    "traceVerbose" 2 misc::trace_verbose, false,
    "tryEval" 1 try_eval, false,
    "typeOf" 1 type_of, false,
    "unsafeDiscardOutputDependency" 1 strings::unsafe_discard_output_dependency, false,
    "unsafeDiscardStringContext" 1 strings::unsafe_discard_string_context, false,
    "unsafeGetAttrPos" 2 attrs::unsafe_get_attr_pos, false,
    "warn" 2 misc::warn, false,
    "zipAttrsWith" 2 attrs::zip_attrs_with, false,
}

/// Puts the builtins in the global scope and in the `builtins` set.
pub(crate) fn install(vm: &mut Vm) {
    let mut entries: Vec<(Symbol, Value)> = Vec::new();
    for (i, def) in TABLE.iter().enumerate() {
        let v = Value::Builtin(i as u32);
        if let Some(global) = EDITION_2026_ONLY.iter().find(|(name, _)| *name == def.name).map(|(_, g)| g) {
            let sym = vm.intern(global.as_bytes());
            vm.globals_2026.insert(sym, v);
            continue;
        }
        let sym = vm.intern(def.name.as_bytes());
        entries.push((sym, v));
        let under = vm.intern(format!("__{}", def.name).as_bytes());
        vm.globals.insert(under, v);
        if def.global {
            vm.globals.insert(sym, v);
        }
    }
    let constants: Vec<(&str, Value)> = {
        let system = vm.config.current_system.clone();
        let system = vm.new_string(system.into_bytes());
        let store_dir = vm.io.store_dir();
        let store_dir = vm.new_string(store_dir.into_bytes());
        let version = vm.new_string(b"2.18.0".as_slice());
        let nix_path = nix_path_value(vm);
        vec![
            ("currentSystem", system),
            ("storeDir", store_dir),
            ("nixVersion", version),
            ("langVersion", Value::Int(6)),
            ("nixPath", nix_path),
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
            ("currentTime", Value::Int(misc::current_time())),
        ]
    };
    for (name, v) in constants {
        let sym = vm.intern(name.as_bytes());
        entries.push((sym, v));
        let under = vm.intern(format!("__{name}").as_bytes());
        vm.globals.insert(under, v);
    }
    let builtins_sym = vm.intern(b"builtins");
    // `builtins.builtins` is the set itself: patch it in after allocation.
    let set = vm.heap.alloc_attrs(Attrs::from_unsorted(entries));
    if let crate::gc::Obj::Attrs(a) = vm.heap.get_mut(set) {
        a.entries.push((builtins_sym, Value::Attrs(set)));
        a.entries.sort_by_key(|e| e.0);
    }
    vm.permanent.push(set);
    vm.globals.insert(builtins_sym, Value::Attrs(set));
    install_2026(vm, set, builtins_sym);
}

/// Builtins that only edition 2026 files reach, and the global name lowering gives them
/// (`dbg e` is lowered to `__dbg __curPos "e" e`); they are in no `builtins` set.
const EDITION_2026_ONLY: &[(&str, &str)] = &[("dbg", "__dbg")];

/// The globals edition 2026 files see differently: a `builtins` set of their own (with
/// `langVersion` 7, and itself as `builtins.builtins`) and `__langVersion`.
fn install_2026(vm: &mut Vm, set_2024: crate::value::Gc, builtins_sym: Symbol) {
    let version = Value::Int(lix_editions::Edition::E2026.lang_version());
    let lang_version = vm.intern(b"langVersion");
    let mut entries = vm.heap.attrs(set_2024).entries.clone();
    entries.retain(|e| e.0 != builtins_sym && e.0 != lang_version);
    entries.push((lang_version, version));
    let set = vm.heap.alloc_attrs(Attrs::from_unsorted(entries));
    if let crate::gc::Obj::Attrs(a) = vm.heap.get_mut(set) {
        a.entries.push((builtins_sym, Value::Attrs(set)));
        a.entries.sort_by_key(|e| e.0);
    }
    vm.permanent.push(set);
    vm.globals_2026.insert(builtins_sym, Value::Attrs(set));
    let under = vm.intern(b"__langVersion");
    vm.globals_2026.insert(under, version);
}

fn nix_path_value(vm: &mut Vm) -> Value {
    let entries = vm.config.nix_path.clone();
    let path_sym = vm.intern(b"path");
    let prefix_sym = vm.intern(b"prefix");
    let items = entries
        .into_iter()
        .map(|(prefix, path)| {
            let p = vm.new_string(path.into_bytes());
            let x = vm.new_string(prefix.into_bytes());
            vm.new_attrs(Attrs::from_unsorted(vec![(path_sym, p), (prefix_sym, x)]))
        })
        .collect();
    vm.new_list(items)
}

// ----- arithmetic and comparison -----

/// O(1).
fn add(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (x, y) = (vm.force(a[0])?, vm.force(a[1])?);
    vm.builtin_arith(lix_compiler::Op::Add, x, y)
}

/// O(1).
fn sub(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (x, y) = (vm.force(a[0])?, vm.force(a[1])?);
    vm.builtin_arith(lix_compiler::Op::Sub, x, y)
}

/// O(1).
fn mul(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (x, y) = (vm.force(a[0])?, vm.force(a[1])?);
    vm.builtin_arith(lix_compiler::Op::Mul, x, y)
}

/// O(1).
fn div(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (x, y) = (vm.force(a[0])?, vm.force(a[1])?);
    vm.builtin_arith(lix_compiler::Op::Div, x, y)
}

/// O(1) for numbers, O(n) for strings and lists.
fn less_than(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(vm.less_than(a[0], a[1])?))
}

// ----- control -----

/// Never returns: a catchable error.
fn throw(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, _) = vm.coerce_to_string(a[0], Coercion::Interpolation, false)?;
    Err(EvalError::new(ErrorKind::Throw, String::from_utf8_lossy(&s).into_owned()))
}

/// Never returns: an uncatchable error.
fn abort(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (s, _) = vm.coerce_to_string(a[0], Coercion::Interpolation, false)?;
    Err(EvalError::new(
        ErrorKind::Abort,
        format!("evaluation aborted with the following error message: '{}'", String::from_utf8_lossy(&s)),
    ))
}

/// Forces its argument; O(1) plus that.
fn try_eval(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let (success, value) = match vm.force(a[0]) {
        Ok(v) => (true, v),
        Err(e) if e.catchable() => (false, Value::Bool(false)),
        Err(e) => return Err(e),
    };
    let entries = vec![(vm.syms.success, Value::Bool(success)), (vm.syms.value, value)];
    Ok(vm.new_attrs(Attrs::from_unsorted(entries)))
}

/// Forces the first argument; returns the second.
fn seq(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    vm.force(a[0])?;
    Ok(a[1])
}

/// Forces the first argument deeply (O(size)); returns the second.
fn deep_seq(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    vm.force_deep(a[0])?;
    Ok(a[1])
}

/// Prints the first argument to stderr, forced only at its top like the reference (what lies
/// inside prints as `«thunk»` until something forces it); returns the second.
fn trace(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    let text = match v {
        Value::String(g) => String::from_utf8_lossy(&vm.heap.str(g).bytes).into_owned(),
        other => vm.show_whole(other),
    };
    eprintln!("trace: {text}");
    Ok(a[1])
}

// ----- types -----

/// The name of the argument's type, forced: `int`, `float`, `bool`, `string`, `path`, `null`,
/// `set`, `list` or `lambda`. O(1) after forcing.
fn type_of(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    let name = v.type_of();
    Ok(vm.new_string(name.as_bytes()))
}

/// Whether the argument, forced, is null. O(1) after forcing.
fn is_null(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Null)))
}

/// Whether the argument, forced, is an integer. O(1) after forcing.
fn is_int(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Int(_))))
}

/// Whether the argument, forced, is a float. O(1) after forcing.
fn is_float(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Float(_))))
}

/// Whether the argument, forced, is a Boolean. O(1) after forcing.
fn is_bool(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Bool(_))))
}

/// Whether the argument, forced, is a string. O(1) after forcing.
fn is_string(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::String(_))))
}

/// Whether the argument, forced, is a list. O(1) after forcing.
fn is_list(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::List(_))))
}

/// Whether the argument, forced, is a set. O(1) after forcing.
fn is_attrs(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Attrs(_))))
}

/// Whether the argument, forced, is a path. O(1) after forcing.
fn is_path(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Path(_))))
}

/// Whether the argument, forced, is a function (sets with `__functor` are not). O(1) after forcing.
fn is_function(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    Ok(Value::Bool(matches!(vm.force(a[0])?, Value::Lambda(_) | Value::Builtin(_) | Value::PrimApp(_))))
}

// ----- lists -----

/// O(1).
fn length(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0]).trace(|| nth_arg(0, "length"))?;
    Ok(Value::Int(vm.heap.list(l).len() as i64))
}

/// O(1).
fn head(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0]).trace(|| "while evaluating the first argument passed to 'builtins.head'".into())?;
    match vm.heap.list(l).first() {
        Some(&v) => Ok(v),
        None => Err(EvalError::type_error("'builtins.head' called on an empty list")),
    }
}

/// O(n): copies the rest of the list.
fn tail(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0]).trace(|| "while evaluating the first argument passed to 'builtins.tail'".into())?;
    let items = vm.heap.list(l);
    if items.is_empty() {
        return Err(EvalError::type_error("'builtins.tail' called on an empty list"));
    }
    let rest = items[1..].to_vec();
    Ok(vm.new_list(rest))
}

/// O(1).
fn elem_at(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0]).trace(|| "while evaluating the first argument passed to 'builtins.elemAt'".into())?;
    let i = vm.expect_int(a[1]).trace(|| "while evaluating the second argument passed to 'builtins.elemAt'".into())?;
    let items = vm.heap.list(l);
    if i < 0 || i as usize >= items.len() {
        return Err(EvalError::type_error(format!(
            "'builtins.elemAt' called with index {i} on a list of size {}",
            items.len()
        )));
    }
    Ok(items[i as usize])
}

/// O(n) allocation; each element a lazy application.
fn map(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "map"))?;
    if vm.heap.list(l).is_empty() {
        return Ok(Value::List(l));
    }
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "map"))?;
    let items = vm.heap.list(l).to_vec();
    let out = items.into_iter().map(|x| vm.new_apply(f, x)).collect();
    Ok(vm.new_list(out))
}

/// O(n) calls of the predicate.
fn filter(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "filter"))?;
    let n = vm.heap.list(l).len();
    if n == 0 {
        return Ok(Value::List(l));
    }
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "filter"))?;
    let mut out = Vec::new();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let keep = vm.call(f, x)?;
        match keep {
            Value::Bool(true) => out.push(x),
            Value::Bool(false) => {}
            other => {
                return Err(vm.expected(&other, "a Boolean"))
                    .trace(|| "while evaluating the return value of the filtering function passed to builtins.filter".into())
            }
        }
    }
    // Everything kept: the list itself, as in the reference (which shows it as the same
    // list, `«repeated»`, where both are printed).
    if out.len() == n {
        return Ok(Value::List(l));
    }
    Ok(vm.new_list(out))
}

/// O(n) calls; the accumulator is forced at each step.
fn foldl(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "foldlStrict"))?;
    let l = vm.expect_list(a[2]).trace(|| nth_arg(2, "foldlStrict"))?;
    let n = vm.heap.list(l).len();
    let mut acc = a[1];
    if n == 0 {
        return Ok(acc);
    }
    let mark = vm.root(acc);
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        match vm.call2(f, acc, x) {
            Ok(v) => {
                acc = v;
                vm.roots[mark] = acc;
            }
            Err(e) => {
                vm.unroot(mark);
                return Err(e);
            }
        }
    }
    vm.unroot(mark);
    Ok(acc)
}

/// O(n) allocation; each element a lazy application.
fn gen_list(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let n = vm.expect_int(a[1]).trace(|| nth_arg(1, "genList"))?;
    if n < 0 {
        return Err(EvalError::type_error(format!("cannot create list of size {n}")));
    }
    let f = vm.expect_function(a[0]).trace(|| nth_arg(0, "genList"))?;
    let out = (0..n).map(|i| vm.new_apply(f, Value::Int(i))).collect();
    Ok(vm.new_list(out))
}

/// O(total length).
fn concat_lists(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0]).trace(|| nth_arg(0, "concatLists"))?;
    let n = vm.heap.list(l).len();
    let mut out = Vec::new();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let inner = vm.expect_list(x).trace(|| "while evaluating a value of the list passed to builtins.concatLists".into())?;
        out.extend_from_slice(vm.heap.list(inner));
    }
    Ok(vm.new_list(out))
}

// ----- sets -----

/// O(n log n): names sorted.
fn attr_names(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| "while evaluating the argument passed to builtins.attrNames".into())?;
    let names: Vec<Symbol> = vm.sorted_attrs(g).into_iter().map(|e| e.0).collect();
    let out = names.into_iter().map(|s| vm.symbol_string(s)).collect();
    Ok(vm.new_list(out))
}

/// O(n log n): values in name order.
fn attr_values(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| "while evaluating the argument passed to builtins.attrValues".into())?;
    let values = vm.sorted_attrs(g).into_iter().map(|e| e.1).collect();
    Ok(vm.new_list(values))
}

/// O(log n).
fn get_attr(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_str_no_ctx(vm, a[0]).trace(|| nth_arg(0, "getAttr"))?;
    let g = vm.expect_attrs(a[1]).trace(|| nth_arg(1, "getAttr"))?;
    // A name never interned is in no set.
    let bytes = &vm.heap.str(name).bytes;
    match vm.symbols.lookup(bytes).and_then(|sym| vm.heap.attrs(g).get(sym)) {
        Some(v) => Ok(v),
        None => Err(EvalError::type_error(format!("attribute '{}' missing", String::from_utf8_lossy(bytes))))
            .trace(|| "in the attribute set under consideration".into()),
    }
}

/// O(log n).
fn has_attr(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_str_no_ctx(vm, a[0]).trace(|| nth_arg(0, "hasAttr"))?;
    let g = vm.expect_attrs(a[1]).trace(|| nth_arg(1, "hasAttr"))?;
    let has = vm.symbols.lookup(&vm.heap.str(name).bytes).is_some_and(|s| vm.heap.attrs(g).get(s).is_some());
    Ok(Value::Bool(has))
}

/// O(n + k log k).
fn remove_attrs(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| nth_arg(0, "removeAttrs"))?;
    let l = vm.expect_list(a[1]).trace(|| nth_arg(1, "removeAttrs"))?;
    let n = vm.heap.list(l).len();
    let mut remove = Vec::with_capacity(n);
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let name = expect_str_no_ctx(vm, x)
            .trace(|| "while evaluating the values of the second argument passed to builtins.removeAttrs".into())?;
        if let Some(s) = vm.symbols.lookup(&vm.heap.str(name).bytes) {
            remove.push(s);
        }
    }
    remove.sort();
    let entries: Vec<_> =
        vm.heap.attrs(g).entries.iter().filter(|e| remove.binary_search(&e.0).is_err()).copied().collect();
    Ok(vm.new_attrs(Attrs { entries, positions: None }))
}

/// O(n log n); the first occurrence of a name wins.
fn list_to_attrs(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0]).trace(|| "while evaluating the argument passed to builtins.listToAttrs".into())?;
    let n = vm.heap.list(l).len();
    let mut entries = Vec::with_capacity(n);
    let in_pair = || "in a {name=...; value=...;} pair".to_string();
    for i in 0..n {
        let x = vm.heap.list(l)[i];
        let item = vm
            .expect_attrs(x)
            .trace(|| "while evaluating an element of the list passed to builtins.listToAttrs".into())?;
        let name_v = vm.heap.attrs(item).get(vm.syms.name).ok_or_else(|| EvalError::type_error("attribute 'name' missing"));
        let name = expect_str_no_ctx(vm, name_v.trace(in_pair)?).trace(|| {
            "while evaluating the `name` attribute of an element of the list passed to builtins.listToAttrs".into()
        })?;
        let value = vm.heap.attrs(item).get(vm.syms.value).ok_or_else(|| EvalError::type_error("attribute 'value' missing"));
        let value = value.trace(in_pair)?;
        let sym = vm.intern_str(name);
        entries.push((sym, value));
    }
    // Stable sort keeps the first of equal names in front; dedup keeps it.
    entries.sort_by_key(|e: &(Symbol, Value)| e.0);
    entries.dedup_by_key(|e| e.0);
    Ok(vm.new_attrs(Attrs { entries, positions: None }))
}

/// O(n) allocation; each value a lazy application `f name value` (one thunk per attribute).
fn map_attrs(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = a[0];
    let g = vm.expect_attrs(a[1]).trace(|| nth_arg(1, "mapAttrs"))?;
    let entries = vm.heap.attrs(g).entries.clone();
    let out = entries
        .into_iter()
        .map(|(s, v)| (s, Value::Thunk(vm.heap.alloc_thunk(ThunkState::ApplyNamed { f, name: s, arg: v, forcing: false }))))
        .collect();
    Ok(vm.new_attrs(Attrs { entries: out, positions: None }))
}

/// O(fields).
fn function_args(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let f = vm.force(a[0])?;
    match f {
        Value::Lambda(c) => {
            let code = vm.heap.closure(c).code;
            if let Some(attrs) = vm.function_args.get(&code.0) {
                let attrs = attrs.clone();
                return Ok(vm.new_attrs(attrs));
            }
            let proto = vm.protos[code.0 as usize].clone();
            let lix_compiler::ProtoKind::Lambda { pattern: Some(p), .. } = proto.kind else {
                return Ok(vm.new_attrs(Attrs::default()));
            };
            let file = &vm.files[proto.file as usize];
            let pattern = &file.compiled.patterns[p as usize];
            let fields: Vec<(Symbol, Value)> = pattern
                .fields
                .iter()
                .map(|(name, default)| (file.names[*name as usize], Value::Bool(default.is_some())))
                .collect();
            // The fields' positions, for unsafeGetAttrPos.
            let mut positions: Vec<(Symbol, crate::Pos)> = pattern
                .fields
                .iter()
                .zip(&pattern.spans)
                .map(|((name, _), &range)| (file.names[*name as usize], crate::Pos { file: proto.file, range }))
                .collect();
            positions.sort_by_key(|e| e.0);
            let mut attrs = Attrs::from_unsorted(fields);
            attrs.positions = Some(std::rc::Rc::new(positions.into_boxed_slice()));
            vm.function_args.insert(code.0, attrs.clone());
            Ok(vm.new_attrs(attrs))
        }
        Value::Builtin(_) | Value::PrimApp(_) => Ok(vm.new_attrs(Attrs::default())),
        _ => Err(EvalError::type_error("'functionArgs' requires a function")),
    }
}

// ----- strings -----

/// O(size of the result).
fn to_string(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0]).trace(|| nth_arg(0, "toString"))?;
    match v {
        // Strings never change: a string is its own `toString`.
        Value::String(_) => return Ok(v),
        // The usual other case, without the general coercion's vectors.
        Value::Int(i) => return Ok(vm.new_string(itoa::Buffer::new().format(i).as_bytes())),
        _ => {}
    }
    let (s, ctx) = vm.coerce_to_string(v, Coercion::ToString, false).trace(|| nth_arg(0, "toString"))?;
    Ok(vm.new_string_ctx(s, ctx))
}

// ----- files and environment -----

fn path_of(vm: &mut Vm, v: Value) -> EvalResult<String> {
    let v = vm.force(v)?;
    match v {
        Value::Path(g) => Ok(String::from_utf8_lossy(&vm.heap.str(g).bytes).into_owned()),
        _ => {
            let (s, _) = vm.coerce_to_string(v, Coercion::Interpolation, false)?;
            let s = String::from_utf8_lossy(&s).into_owned();
            if !s.starts_with('/') {
                return Err(EvalError::type_error(format!("string '{s}' doesn't represent an absolute path")));
            }
            Ok(s)
        }
    }
}

/// Evaluates a file once per path (cached).
fn import(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let path = path_of(vm, a[0])?;
    vm.import(&path).map_err(|mut e| {
        e.trace.push(TraceEntry { message: format!("while importing '{path}'"), pos: None });
        e
    })
}

/// Looks a `<path>` up in the search path: O(entries) file-existence checks.
fn find_file(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let l = vm.expect_list(a[0])?;
    let (name, _) = vm.expect_string(a[1])?;
    let name = String::from_utf8_lossy(&name).into_owned();
    let n = vm.heap.list(l).len();
    let path_sym = vm.intern(b"path");
    let prefix_sym = vm.intern(b"prefix");
    for i in 0..n {
        let entry = vm.heap.list(l)[i];
        let g = vm.expect_attrs(entry)?;
        let prefix = match vm.heap.attrs(g).get(prefix_sym) {
            Some(p) => String::from_utf8_lossy(&vm.expect_string(p)?.0).into_owned(),
            None => String::new(),
        };
        let Some(path) = vm.heap.attrs(g).get(path_sym) else {
            return Err(EvalError::type_error("attribute 'path' missing"));
        };
        // A path value is its text (`{ path = ./dir; }`), not a copy in the store.
        let path = String::from_utf8_lossy(&vm.coerce_to_string(path, Coercion::Interpolation, false)?.0).into_owned();
        let rest = if prefix.is_empty() {
            Some(name.as_str())
        } else if name == prefix {
            Some("")
        } else {
            name.strip_prefix(&prefix).and_then(|r| r.strip_prefix('/'))
        };
        let Some(rest) = rest else { continue };
        let candidate = if rest.is_empty() { path.clone() } else { format!("{}/{rest}", path.trim_end_matches('/')) };
        if vm.io.path_exists(&candidate) {
            let canon = crate::ops::canon_path(candidate.as_bytes());
            return Ok(vm.new_path(canon));
        }
    }
    // `<nix/…>`: the files built into the evaluator (`<nix/fetchurl.nix>`), after the search
    // path, as the reference does.
    if let Some(rest) = name.strip_prefix("nix/") {
        if crate::corepkgs::file(rest).is_some() {
            return Ok(vm.new_path(format!("{}{rest}", crate::corepkgs::PREFIX).into_bytes()));
        }
    }
    // Catchable, as in the reference: `tryEval <missing>` is `{ success = false; }`.
    Err(EvalError::new(
        ErrorKind::Throw,
        format!("file '{name}' was not found in the Nix search path (add it using $NIX_PATH or -I)"),
    ))
}

/// Reads an environment variable through `EvalIO`.
fn get_env(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let name = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "getEnv"))?;
    let value = vm.io.get_env(&String::from_utf8_lossy(&name)).unwrap_or_default();
    Ok(vm.new_string(value.into_bytes()))
}

// ----- helpers for the builtin families -----

/// Adds a frame to the trace of a failed result, as CppNix's `errorCtx` strings do.
trait TraceExt<T> {
    /// `self`, with `message` as the innermost trace frame if it failed.
    fn trace(self, message: impl FnOnce() -> String) -> EvalResult<T>;
    /// The same, with the frame's position (shown with a source excerpt) when known.
    fn trace_at(self, pos: Option<crate::Pos>, message: impl FnOnce() -> String) -> EvalResult<T>;
}

impl<T> TraceExt<T> for EvalResult<T> {
    #[inline]
    fn trace(self, message: impl FnOnce() -> String) -> EvalResult<T> {
        self.trace_at(None, message)
    }

    #[inline]
    fn trace_at(self, pos: Option<crate::Pos>, message: impl FnOnce() -> String) -> EvalResult<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(with_frame(e, message(), pos)),
        }
    }
}

/// `e` with `message` as its innermost trace frame (the error path of [`TraceExt`]).
#[cold]
#[inline(never)]
fn with_frame(mut e: EvalError, message: String, pos: Option<crate::Pos>) -> EvalError {
    e.trace.push(TraceEntry { message, pos });
    e
}

/// "while evaluating the first argument passed to builtins.NAME".
fn nth_arg(n: usize, name: &str) -> String {
    const ORDINALS: [&str; 3] = ["first", "second", "third"];
    format!("while evaluating the {} argument passed to builtins.{name}", ORDINALS[n])
}

/// The bytes of string `v` (forced), which must have no context (CppNix's `forceStringNoCtx`).
fn expect_string_no_ctx(vm: &mut Vm, v: Value) -> EvalResult<Vec<u8>> {
    let g = expect_str_no_ctx(vm, v)?;
    Ok(vm.heap.str(g).bytes.to_vec())
}

/// [`expect_string_no_ctx`], the string left in place (`heap.str`).
fn expect_str_no_ctx(vm: &mut Vm, v: Value) -> EvalResult<crate::value::Gc> {
    let g = vm.expect_str(v)?;
    let s = vm.heap.str(g);
    if let Some(first) = s.context.first() {
        let path = first.rsplit('!').next().unwrap_or(first).trim_start_matches('=');
        return Err(EvalError::type_error(format!(
            "the string '{}' is not allowed to refer to a store path (such as '{path}')",
            String::from_utf8_lossy(&s.bytes)
        )));
    }
    Ok(g)
}

/// Bytes as text for messages and file names.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
