//! `lixc instantiate`: evaluate a file (or `-E` expression) to derivations, write their `.drv`
//! files and the sources they use into the local store, and print the `.drv` paths, as
//! `nix-instantiate` does (a non-`out` output is printed as `drv!output`).

use std::collections::HashSet;
use std::io::Write;

use lix_editions::Edition;
use lix_vm::error::ErrorKind;
use lix_vm::ops::Coercion;
use lix_vm::{EvalConfig, EvalError, Value, Vm};

use crate::eval_cmd::{read_source, ErrorFormat, Failure};
use crate::store_cmd::StoreOptions;
use crate::{EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

/// Arguments of `lixc instantiate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The file to instantiate (`-` reads standard input). Defaults to `./default.nix`.
    file: Option<String>,
    /// Instantiate this expression instead of a file.
    #[arg(short = 'E', long = "expr")]
    expr: Option<String>,
    #[command(flatten)]
    inputs: crate::eval_cmd::Inputs,
    /// Print the whole trace of errors.
    #[arg(long)]
    show_trace: bool,
    /// The edition of files that name none.
    #[arg(long, value_parser = crate::parse_edition)]
    edition: Option<Edition>,
    /// How errors are printed (`pretty` or `nix`; `pretty` on a terminal).
    #[arg(long, value_enum)]
    error_format: Option<ErrorFormat>,
    #[command(flatten)]
    store: StoreOptions,
}

/// Runs `lixc instantiate`.
pub fn run(args: Args) -> u8 {
    let cwd = std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into());
    let store = match args.store.open() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let mut config = EvalConfig::default();
    if let Some(edition) = args.edition {
        config.default_edition = edition;
    }
    config.nix_path = crate::eval_cmd::search_path(&args.inputs.include, &cwd);
    // Every path this run writes is registered in batches (see `lix_store::local`): one
    // `syncfs` and one transaction per batch instead of fsyncs and a transaction per path.
    let store = std::sync::Arc::new(store);
    store.begin_batch();
    let mut vm = Vm::new(Box::new(crate::store_io::StoreIO::writing(store.clone())), config);
    let result = instantiate(&mut vm, &args, &cwd);
    // Registered even when evaluation failed later: what was written is complete.
    if let Err(e) = store.end_batch() {
        eprintln!("error: cannot register the paths written: {e}");
        return EXIT_DIAGNOSTICS;
    }
    crate::eval_cmd::print_warnings(&mut vm);
    match result {
        Ok(lines) => {
            let mut out = std::io::stdout().lock();
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            EXIT_OK
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Err(Failure::Eval(e)) => crate::eval_cmd::report_error(&vm, &e, args.error_format, args.show_trace),
    }
}

fn instantiate(vm: &mut Vm, args: &Args, cwd: &str) -> Result<Vec<String>, Failure> {
    let (name, text, base_dir) = read_source(args.expr.as_deref(), args.file.as_deref(), cwd)?;
    let root = vm.eval_source(&name, &text, &base_dir)?;
    let mark = vm.root(root);
    let mut lines = Vec::new();
    let mut done = HashSet::new();
    args.inputs.for_each(vm, root, cwd, |vm, v| {
        let mut found = Vec::new();
        get_derivations(vm, v, &mut found, &mut done)?;
        for drv in found {
            lines.push(print_derivation(vm, drv)?);
        }
        Ok(())
    })?;
    vm.unroot(mark);
    Ok(lines)
}

/// Whether `v` (forced) is a derivation: a set whose `type` is `"derivation"`.
fn is_derivation(vm: &mut Vm, v: Value) -> Result<bool, Failure> {
    let Value::Attrs(g) = v else { return Ok(false) };
    let sym = vm.intern(b"type");
    let Some(t) = vm.heap.attrs(g).get(sym) else { return Ok(false) };
    let t = vm.force(t)?;
    if let Value::String(_) = t {
        let (s, _) = vm.expect_string(t)?;
        return Ok(s == b"derivation");
    }
    Ok(false)
}

/// The derivations in `v` as `nix-instantiate` finds them (CppNix's `getDerivations`): `v`
/// itself; else, of a set, each attribute (in name order) that is a derivation, and the
/// derivations of nested sets that say `recurseForDerivations = true`; of a list, each element
/// that is a derivation. A set seen before is skipped.
fn get_derivations(vm: &mut Vm, v: Value, out: &mut Vec<Value>, done: &mut HashSet<lix_vm::value::Gc>) -> Result<(), Failure> {
    let v = vm.force(v)?;
    if is_derivation(vm, v)? {
        add(v, out, done);
        return Ok(());
    }
    match v {
        Value::Attrs(g) => {
            let recurse = vm.intern(b"recurseForDerivations");
            for (_, child) in vm.sorted_attrs(g) {
                let child = vm.force(child)?;
                if is_derivation(vm, child)? {
                    add(child, out, done);
                } else if let Value::Attrs(cg) = child {
                    if let Some(r) = vm.heap.attrs(cg).get(recurse) {
                        if let Value::Bool(true) = vm.force(r)? {
                            get_derivations(vm, child, out, done)?;
                        }
                    }
                }
            }
            Ok(())
        }
        Value::List(g) => {
            let items = vm.heap.list(g).to_vec();
            for item in items {
                let item = vm.force(item)?;
                if is_derivation(vm, item)? {
                    add(item, out, done);
                }
            }
            Ok(())
        }
        other => Err(Failure::Eval(EvalError::type_error(format!(
            "expression does not evaluate to a derivation (or a set or list of those); it is {}",
            other.show_type()
        )))),
    }
}

fn add(v: Value, out: &mut Vec<Value>, done: &mut HashSet<lix_vm::value::Gc>) {
    if let Value::Attrs(g) = v {
        if done.insert(g) {
            out.push(v);
        }
    }
}

/// `drvPath`, and `!output` unless the derivation's `outputName` is `out`.
fn print_derivation(vm: &mut Vm, drv: Value) -> Result<String, Failure> {
    let Value::Attrs(g) = drv else { return Ok(String::new()) };
    let drv_sym = vm.intern(b"drvPath");
    let out_sym = vm.intern(b"outputName");
    let drv_path = vm
        .heap
        .attrs(g)
        .get(drv_sym)
        .ok_or_else(|| Failure::Eval(EvalError::new(ErrorKind::Other, "derivation has no 'drvPath' attribute")))?;
    let (path, _) = vm.coerce_to_string(drv_path, Coercion::Interpolation, false)?;
    let output = match vm.heap.attrs(g).get(out_sym) {
        Some(o) => vm.expect_string(o)?.0,
        None => Vec::new(),
    };
    let mut line = String::from_utf8_lossy(&path).into_owned();
    if output != b"out" {
        line.push('!');
        line.push_str(&String::from_utf8_lossy(&output));
    }
    Ok(line)
}
