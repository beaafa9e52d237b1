//! `lixc doc builtins [NAME]`: the reference of the builtins, from their doc comments (what each
//! does and what it costs in terms of its inputs).

use crate::{EXIT_OK, EXIT_USAGE};

/// Arguments of `lixc doc`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to document (only `builtins` for now).
    topic: Topic,
    /// One builtin, by its name in `builtins`.
    name: Option<String>,
}

/// Documentation topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Topic {
    /// The builtin functions.
    Builtins,
}

/// Builtins that compute store paths; lixc's evaluator writes nothing to the store.
const STORE_PATHS: &[&str] = &["derivationStrict", "filterSource", "path", "placeholder", "storePath", "toFile"];

/// Runs `lixc doc`.
pub fn run(args: Args) -> u8 {
    let Topic::Builtins = args.topic;
    let table = lix_vm::builtins::TABLE;
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|b| b.name);
    if let Some(name) = &args.name {
        let wanted = name.strip_prefix("builtins.").unwrap_or(name);
        entries.retain(|b| b.name == wanted);
        if entries.is_empty() {
            eprintln!("error: there is no builtin named '{wanted}'");
            return EXIT_USAGE;
        }
    }
    let mut out = String::new();
    for b in entries {
        let args = (0..b.arity).map(|i| format!("arg{}", i + 1)).collect::<Vec<_>>().join(" ");
        out.push_str(&format!("builtins.{} {args}\n", b.name));
        out.push_str(&format!("    {}\n", b.doc()));
        if STORE_PATHS.contains(&b.name) {
            out.push_str("    Store: computes store paths; lixc eval writes nothing to the store.\n");
        }
        if b.global {
            out.push_str(&format!("    Also in scope as `{}`.\n", b.name));
        }
        out.push('\n');
    }
    print!("{out}");
    EXIT_OK
}
