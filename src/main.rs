//! `lixc`: the command-line front of the lixc toolchain. Argument handling, output formats and
//! exit codes live here; the work is done by the library crates.

mod alloc;
mod check;
mod diagnostic;
mod doc_cmd;
mod eval_cmd;
mod input;
mod migrate_cmd;
mod instantiate_cmd;
mod parse_cmd;
mod store_cmd;
mod store_io;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lix_editions::Edition;

/// Evaluation allocates and frees many small objects; mimalloc does that faster than the
/// system allocator (measured on `../shared/bench`). See `alloc` for the evaluation's own
/// range of memory.
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

/// A toolchain for the Nix language.
#[derive(Parser, Debug)]
#[command(name = "lixc", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse one file and print its syntax tree.
    Parse(parse_cmd::Args),
    /// Check files and directories: errors, lints and their fixes (`lixc check --list-lints`).
    Check(check::Args),
    /// Evaluate a file or an expression and print its value.
    Eval(Box<eval_cmd::Args>),
    /// Print reference documentation (`lixc doc builtins [NAME]`).
    Doc(doc_cmd::Args),
    /// Rewrite files to a later edition (`--write`, `--check`, `--diff`; `--modernize`).
    Migrate(migrate_cmd::Args),
    /// Evaluate to derivations, write their `.drv` files into the store, print their paths.
    Instantiate(Box<instantiate_cmd::Args>),
    /// Inspect and change the local store (`path-info`, `dump-nar`, `cat-nar`, `add`, `verify`).
    Store(store_cmd::Args),
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: trees as indented text, diagnostics with source excerpts.
    Human,
    /// For programs: JSON on stdout.
    Json,
}

/// When to colour output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// When stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Parses an edition name for clap.
pub fn parse_edition(name: &str) -> Result<Edition, String> {
    name.parse().map_err(|e: lix_editions::UnknownEdition| e.to_string())
}

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the input has errors.
pub const EXIT_DIAGNOSTICS: u8 = 1;
/// Exit status: usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// Stack for the worker thread: tree walks of deeply nested input recurse.
const STACK_SIZE: usize = 256 << 20;

/// mimalloc's `mi_option_purge_delay` (the same index in its v2 and v3 option enums).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Freed memory stays with the process instead of going back to the kernel a second later:
    // the evaluator frees and reallocates in waves (each garbage collection), and memory
    // handed back has to be faulted in and cleared again, which cost laziness.nix a third of
    // its time in system time. Peak memory is not affected.
    // SAFETY: setting an option is a plain store; no allocation is in flight.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // A panic, in any thread, is a bug in lixc. Release builds do not unwind (`panic =
    // "abort"`), so it is reported here and ends the process with exit code 101 in every
    // build. (Stores stay consistent: what is written is renamed into place and registered in
    // one transaction, as against a killed process.)
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        eprintln!("error: internal error (a bug in lixc); please report it with the input that caused it");
        std::process::exit(101);
    }));
    let cli = Cli::parse();
    let worker = std::thread::Builder::new().name("lixc".into()).stack_size(STACK_SIZE).spawn(move || match cli.command {
        Command::Parse(args) => parse_cmd::run(args),
        Command::Check(args) => check::run(args),
        Command::Eval(args) => {
            alloc::evaluation_arena();
            eval_cmd::run(*args)
        }
        Command::Doc(args) => doc_cmd::run(args),
        Command::Migrate(args) => migrate_cmd::run(args),
        Command::Instantiate(args) => {
            alloc::evaluation_arena();
            instantiate_cmd::run(*args)
        }
        Command::Store(args) => store_cmd::run(args),
    });
    let code = match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        // (Not reached: the panic hook has reported the panic and ended the process.)
        Ok(Err(_)) => 101,
        Err(e) => {
            eprintln!("error: cannot start the worker thread: {e}");
            EXIT_USAGE
        }
    };
    ExitCode::from(code)
}
