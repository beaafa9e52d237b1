//! `lixc eval`: evaluate a file or an expression and print its value, with the surface of
//! `nix-instantiate --eval` (its flags, its value printing, its error layout).

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use lix_editions::Edition;
use lix_vm::error::ErrorKind;
use lix_vm::TraceEntry;
use lix_vm::{EvalConfig, EvalError, RealIO, Value, Vm};

use crate::{EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

/// Arguments of `lixc eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The file to evaluate (`-` reads standard input). Defaults to `./default.nix`.
    file: Option<String>,
    /// Evaluate this expression instead of a file.
    #[arg(short = 'E', long = "expr")]
    expr: Option<String>,
    /// Evaluate the value completely (lists and sets recursively), as `--strict` does.
    #[arg(long)]
    strict: bool,
    /// Print the value as JSON.
    #[arg(long)]
    json: bool,
    /// Print the value as XML.
    #[arg(long)]
    xml: bool,
    /// Leave source positions out of XML output.
    #[arg(long)]
    no_location: bool,
    /// Accepted for compatibility with `nix-instantiate --eval` (lixc eval always evaluates).
    #[arg(long)]
    eval: bool,
    #[command(flatten)]
    inputs: Inputs,
    /// Print the whole trace of errors.
    #[arg(long)]
    show_trace: bool,
    /// Print a short trace of errors (the default).
    #[arg(long)]
    no_show_trace: bool,
    /// Accepted for compatibility (lixc does not restrict evaluation).
    #[arg(long)]
    impure: bool,
    /// Deepest nesting of calls before evaluation stops with an error.
    #[arg(long)]
    max_call_depth: Option<usize>,
    /// Experimental features of the reference: `parse-toml-timestamps` is honoured, others are
    /// accepted (pipe operators are an edition feature in lixc).
    #[arg(long)]
    extra_experimental_features: Vec<String>,
    /// The edition of files that name none.
    #[arg(long, value_parser = crate::parse_edition)]
    edition: Option<Edition>,
    /// Print the bytecode of the evaluated file before evaluating it.
    #[arg(long)]
    dump_bytecode: bool,
    /// How errors are printed: `pretty` (ariadne, with source excerpts and labels) or `nix`
    /// (the reference's layout, one frame after the other). Defaults to `pretty` on a terminal.
    #[arg(long, value_enum)]
    error_format: Option<ErrorFormat>,
    /// URL literals: `ignore`, `warn` or `fatal` (as the reference's lint flag).
    #[arg(long = "lint-url-literals")]
    lint_url_literals: Option<String>,
    /// Relative paths without `./`: `ignore`, `warn` or `fatal`.
    #[arg(long = "lint-short-path-literals")]
    lint_short_path_literals: Option<String>,
    /// Absolute and home paths: `ignore`, `warn` or `fatal`.
    #[arg(long = "lint-absolute-path-literals")]
    lint_absolute_path_literals: Option<String>,
}

/// Runs `lixc eval`.
pub fn run(args: Args) -> u8 {
    let cwd = std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into());
    let mut config = EvalConfig::default();
    if let Some(edition) = args.edition {
        config.default_edition = edition;
    }
    if let Some(depth) = args.max_call_depth {
        config.max_call_depth = depth;
    }
    config.nix_path = search_path(&args.inputs.include, &cwd);
    config.experimental_features =
        args.extra_experimental_features.iter().flat_map(|f| f.split_whitespace().map(String::from)).collect();
    for (flag, level, slot) in [
        ("--lint-url-literals", &args.lint_url_literals, &mut config.lints.url_literals),
        ("--lint-short-path-literals", &args.lint_short_path_literals, &mut config.lints.short_path_literals),
        ("--lint-absolute-path-literals", &args.lint_absolute_path_literals, &mut config.lints.absolute_path_literals),
    ] {
        if let Some(level) = level {
            match level.parse() {
                Ok(l) => *slot = l,
                Err(e) => {
                    eprintln!("error: {flag}: {e}");
                    return EXIT_USAGE;
                }
            }
        }
    }
    let io: Box<dyn lix_vm::EvalIO> = match crate::store_io::StoreIO::new() {
        Ok(store) => Box::new(store),
        Err(e) => {
            eprintln!("warning: {e}; evaluating without a store");
            Box::new(RealIO)
        }
    };
    let mut vm = Vm::new(io, config);
    vm.heap.stress = std::env::var_os("LIXC_GC_STRESS").is_some_and(|v| v != "0");
    let started = std::time::Instant::now();
    let result = evaluate(&mut vm, &args, &cwd);
    print_warnings(&mut vm);
    let code = match result {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            EXIT_OK
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Err(Failure::Eval(e)) => report_error(&vm, &e, args.error_format, args.show_trace),
    };
    if std::env::var_os("LIXC_SHOW_STATS").is_some_and(|v| v != "0") {
        eprintln!("{}", stats_json(&vm, started.elapsed()));
    }
    // The process ends next: freeing millions of heap objects one by one would only delay
    // that (a tenth of a second for a large evaluation). The heap owns memory and nothing
    // else, so leaving it to the operating system loses nothing.
    std::mem::forget(std::mem::take(&mut vm.heap));
    code
}

/// Prints the warnings the evaluation collected, in the reference's layouts, and forgets them.
pub(crate) fn print_warnings(vm: &mut Vm) {
    for warning in std::mem::take(&mut vm.warnings) {
        eprint!("{}", render_warning(vm, &warning));
    }
}

/// Prints an evaluation error on stderr (ariadne on a terminal or with `--error-format pretty`,
/// else the reference's layout); returns the exit status for it.
pub(crate) fn report_error(vm: &Vm, e: &EvalError, format: Option<ErrorFormat>, show_trace: bool) -> u8 {
    let stderr = std::io::stderr();
    let pretty = match format {
        Some(f) => f == ErrorFormat::Pretty,
        None => stderr.is_terminal(),
    };
    if pretty {
        let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let _ = render_pretty(vm, e, show_trace, color, &mut stderr.lock());
    } else {
        eprint!("{}", render_error(vm, e, show_trace));
    }
    EXIT_DIAGNOSTICS
}

/// How errors are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ErrorFormat {
    /// ariadne reports.
    Pretty,
    /// The reference implementation's layout.
    Nix,
}

/// Why a command failed: bad usage or input (exit 2) or an evaluation error (exit 1).
pub(crate) enum Failure {
    /// Usage or I/O.
    Usage(String),
    /// Evaluation.
    Eval(EvalError),
}

impl From<EvalError> for Failure {
    fn from(e: EvalError) -> Self {
        Failure::Eval(e)
    }
}

/// `-I` entries then `NIX_PATH`, as (prefix, absolute path).
pub(crate) fn search_path(include: &[String], cwd: &str) -> Vec<(String, String)> {
    let from_env = std::env::var("NIX_PATH").unwrap_or_default();
    include
        .iter()
        .map(String::as_str)
        .chain(from_env.split(':').filter(|s| !s.is_empty()))
        .map(|entry| {
            let (prefix, path) = match entry.split_once('=') {
                Some((p, path)) => (p.to_string(), path.to_string()),
                None => (String::new(), entry.to_string()),
            };
            let abs = if path.starts_with('/') || path.contains("://") { path } else { format!("{cwd}/{path}") };
            (prefix, abs)
        })
        .collect()
}

fn evaluate(vm: &mut Vm, args: &Args, cwd: &str) -> Result<String, Failure> {
    let (name, text, base_dir) = read_source(args.expr.as_deref(), args.file.as_deref(), cwd)?;
    if args.dump_bytecode {
        let file = vm.load_source(&name, &text, &base_dir)?;
        print!("{}", vm.dump_bytecode(file));
    }
    let root = vm.eval_source(&name, &text, &base_dir)?;
    let mark = vm.root(root);
    let mut results = Vec::new();
    args.inputs.for_each(vm, root, cwd, |vm, v| {
        results.push(print(vm, v, args)?);
        Ok(())
    })?;
    vm.unroot(mark);
    Ok(results.join("\n"))
}

/// The program a command evaluates: `-E EXPR`, standard input (`-`), or a file (a directory
/// means its `default.nix`; none means `default.nix`). Returns its name, text and the directory
/// its relative paths resolve against.
pub(crate) fn read_source(expr: Option<&str>, file: Option<&str>, cwd: &str) -> Result<(String, String, String), Failure> {
    Ok(match (expr, file) {
        (Some(expr), _) => ("(string)".to_string(), expr.to_string(), cwd.to_string()),
        (None, Some("-")) => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
            ("(stdin)".to_string(), decode(&bytes)?, cwd.to_string())
        }
        (None, file) => {
            let file = file.unwrap_or("default.nix");
            let path = if Path::new(file).is_absolute() { file.to_string() } else { format!("{cwd}/{file}") };
            let path = String::from_utf8_lossy(&lix_vm::ops::canon_path(path.as_bytes())).into_owned();
            let path = if Path::new(&path).is_dir() { format!("{path}/default.nix") } else { path };
            let bytes = std::fs::read(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Failure::Eval(EvalError::new(ErrorKind::Other, format!("path '{path}' does not exist")))
                } else {
                    Failure::Usage(format!("cannot read {path}: {e}"))
                }
            })?;
            let dir = Path::new(&path).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|| "/".into());
            (path, decode(&bytes)?, dir)
        }
    })
}

fn decode(bytes: &[u8]) -> Result<String, Failure> {
    lix_syntax::source::decode(bytes).map(|t| t.into_owned()).map_err(|e| Failure::Usage(e.to_string()))
}

/// What `lixc eval` and `lixc instantiate` apply to the program's value, and where its
/// `<...>` paths are looked up.
#[derive(clap::Args, Debug)]
pub(crate) struct Inputs {
    /// Select this attribute path from the value (repeatable).
    #[arg(short = 'A', long = "attr")]
    pub(crate) attr: Vec<String>,
    /// Pass `NAME = EXPR` to a top-level function.
    #[arg(long, num_args = 2, value_names = ["NAME", "EXPR"])]
    pub(crate) arg: Vec<String>,
    /// Pass `NAME = "STRING"` to a top-level function.
    #[arg(long, num_args = 2, value_names = ["NAME", "STRING"])]
    pub(crate) argstr: Vec<String>,
    /// Add a search path entry (`PATH` or `PREFIX=PATH`), before those of `NIX_PATH`.
    #[arg(short = 'I', long = "include")]
    pub(crate) include: Vec<String>,
}

impl Inputs {
    /// Gives `each` the value selected from `root` by each `-A` path in turn (the whole value
    /// without one), called with the `--arg`/`--argstr` set where it is a function; one path
    /// is done (selected and used) before the next is selected. The values stay rooted.
    pub(crate) fn for_each(
        &self,
        vm: &mut Vm,
        root: Value,
        cwd: &str,
        mut each: impl FnMut(&mut Vm, Value) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let auto_args = self.auto_args(vm, cwd)?;
        vm.root(auto_args.unwrap_or(Value::Null));
        let paths: Vec<String> = if self.attr.is_empty() { vec![String::new()] } else { self.attr.clone() };
        for path in &paths {
            let mut v = vm.select_attr_path(root, path, auto_args)?;
            if let Some(a) = auto_args {
                v = vm.auto_call(v, a)?;
            }
            vm.root(v);
            each(vm, v)?;
        }
        Ok(())
    }

    /// The set of `--arg` and `--argstr` values, if any were given.
    fn auto_args(&self, vm: &mut Vm, cwd: &str) -> Result<Option<Value>, Failure> {
        if self.arg.is_empty() && self.argstr.is_empty() {
            return Ok(None);
        }
        let mut entries = Vec::new();
        for pair in self.arg.chunks(2) {
            let v = vm.eval_source("(string)", &pair[1], cwd)?;
            vm.root(v);
            entries.push((pair[0].clone(), v));
        }
        for pair in self.argstr.chunks(2) {
            let v = vm.new_string(pair[1].as_bytes());
            vm.root(v);
            entries.push((pair[0].clone(), v));
        }
        Ok(Some(vm.attrs_from(entries)))
    }
}

fn print(vm: &mut Vm, v: Value, args: &Args) -> Result<String, Failure> {
    if args.json {
        let v = vm.force_deep(v)?;
        let mut out = String::new();
        let mut context = Vec::new();
        vm.write_json(v, &mut out, &mut context)?;
        return Ok(out);
    }
    if args.xml {
        let v = if args.strict { vm.force_deep(v)? } else { vm.force(v)? };
        let mode = lix_vm::builtins::XmlMode { strict: args.strict, location: !args.no_location };
        let (xml, _) = vm.to_xml(v, mode)?;
        return Ok(String::from_utf8_lossy(&xml).trim_end().to_string());
    }
    let v = if args.strict { vm.force_deep(v)? } else { vm.force(v)? };
    Ok(vm.print_value(v))
}

/// The error in the reference's layout (CppNix's `showErrorInfo`): `error:`, the trace outermost
/// first (`… message`, then `at FILE:LINE:COL:` and three lines of source), runs of frames seen
/// before folded into `(N duplicate frames omitted)`, then the message, its position and any
/// suggestion. Lines after the first are indented by seven spaces and stripped of trailing
/// blanks. Without `full`, frames after the fourth are left out.
pub(crate) fn render_error(vm: &Vm, e: &EvalError, full: bool) -> String {
    let e = &builtin_call_site(e);
    let (message, suggestion) = match e.message.split_once(&format!("\n{}", lix_vm::ops::DID_YOU_MEAN)) {
        Some((m, rest)) => (m, Some(format!("{}{rest}", lix_vm::ops::DID_YOU_MEAN))),
        None => (e.message.as_str(), None),
    };
    // A usage hint is printed by the reference's command line after the whole error, unindented.
    let (message, usage_hint) = match message.strip_suffix(lix_vm::builtins::USAGE_HINT) {
        Some(m) => (m.strip_suffix('\n').unwrap_or(m), true),
        None => (message, false),
    };
    let mut body = String::new();
    if !e.trace.is_empty() {
        let mut seen: Vec<&TraceEntry> = Vec::new();
        let mut skipped: Vec<&TraceEntry> = Vec::new();
        let mut count = 0;
        let mut truncated = false;
        for entry in e.trace.iter().rev() {
            if entry.message.is_empty() {
                continue;
            }
            if !full && count > 3 {
                truncated = true;
                break;
            }
            if seen.contains(&entry) {
                skipped.push(entry);
                continue;
            }
            seen.push(entry);
            flush_skipped(vm, &mut body, &mut skipped, &mut count);
            print_frame(vm, &mut body, entry, &mut count);
        }
        flush_skipped(vm, &mut body, &mut skipped, &mut count);
        if truncated {
            body.push_str("\n(stack trace truncated; use '--show-trace' to show the full trace)\n");
        }
        body.push_str("\nerror: ");
    }
    body.push_str(message);
    body.push('\n');
    if let Some(pos) = e.pos {
        print_pos(vm, &mut body, "", pos);
    }
    if let Some(s) = suggestion {
        body.push_str(&s);
        body.push('\n');
    }
    let mut out = String::new();
    for (i, line) in body.trim_end().split('\n').enumerate() {
        let indent = if i == 0 { "error: " } else { "       " };
        out.push_str(format!("{indent}{line}").trim_end());
        out.push('\n');
    }
    if usage_hint {
        out.push_str(lix_vm::builtins::USAGE_HINT);
        out.push('\n');
    }
    out
}

/// A warning in the reference's layout for its kind: `warning:`, then the message and the
/// position (or the frames, message and position), continuation lines indented under it.
pub(crate) fn render_warning(vm: &Vm, warning: &lix_vm::Warning) -> String {
    use lix_vm::WarningLayout;
    let mut body = String::new();
    match &warning.layout {
        // The message's own lines are not indented in this layout.
        WarningLayout::Inline => {
            return match warning.pos {
                Some(pos) => format!("warning: at {}: {}\n", vm.show_pos(pos), warning.message),
                None => format!("warning: {}\n", warning.message),
            }
        }
        WarningLayout::Excerpt => body.push_str(&format!("{}\n", warning.message)),
        WarningLayout::Traced(frames) => {
            body.push('\n');
            for frame in frames {
                body.push_str(&format!("… {frame}\n\n"));
            }
            body.push_str(&format!("warning: {}\n", warning.message));
        }
    }
    if let Some(pos) = warning.pos {
        print_pos(vm, &mut body, "", pos);
    }
    let mut out = String::new();
    for (i, line) in body.trim_end().split('\n').enumerate() {
        let indent = if i == 0 { "warning: " } else { "         " };
        out.push_str(format!("{indent}{line}").trim_end());
        out.push('\n');
    }
    out
}

/// The reference shows where a builtin was called on its `while calling the 'X' builtin` frame,
/// and an error a builtin raised itself has no position. The VM pushes that frame without a
/// position and gives the error the position of the call when it unwinds the calling frame;
/// move it back. (Applies when no frame inside the builtin has a position, so the error's
/// position can only be the call's.)
fn builtin_call_site(e: &EvalError) -> EvalError {
    let mut e = e.clone();
    let Some(pos) = e.pos else { return e };
    let is_builtin_frame = |t: &TraceEntry| t.message.starts_with("while calling the '") && t.message.ends_with("' builtin");
    let Some(i) = e.trace.iter().position(is_builtin_frame) else { return e };
    if e.trace[..=i].iter().all(|t| t.pos.is_none()) {
        e.trace[i].pos = Some(pos);
        e.pos = None;
    }
    e
}

/// One frame: `… message` and its position.
fn print_frame(vm: &Vm, out: &mut String, entry: &TraceEntry, count: &mut usize) {
    // A message's own further lines stand under its first, after the `… `.
    out.push_str(&format!("\n… {}\n", entry.message.replace('\n', "\n  ")));
    if let Some(pos) = entry.pos {
        print_pos(vm, out, "  ", pos);
        *count += 1;
    }
}

/// Frames seen before, skipped in a row: printed as they are when there are five or fewer,
/// else counted. (The reference means to forget the frames seen after such a count, but its
/// set is a copy, so it does not; we do as it does.)
fn flush_skipped(vm: &Vm, out: &mut String, skipped: &mut Vec<&TraceEntry>, count: &mut usize) {
    if skipped.len() <= 5 {
        for entry in skipped.iter() {
            print_frame(vm, out, entry, count);
        }
    } else {
        out.push_str(&format!("\n({} duplicate frames omitted)\n", skipped.len()));
    }
    skipped.clear();
}

/// `at FILE:LINE:COL:` and the lines around it (CppNix's `printPosMaybe` and
/// `printCodeLines`): line numbers right-aligned in five columns, a caret under the column.
fn print_pos(vm: &Vm, out: &mut String, indent: &str, pos: lix_vm::Pos) {
    let (_, text) = vm.file_source(pos.file);
    let (line, col) = vm.line_col(pos);
    out.push_str(&format!("{indent}at {}:", vm.show_pos(pos)));
    let lines = lix_vm::print::source_lines(text);
    if line >= 2 {
        out.push_str(&format!("\n {:>5}| {}", line - 1, lines[line - 2]));
    }
    if let Some(l) = lines.get(line - 1) {
        out.push_str(&format!("\n {line:>5}| {l}"));
        out.push_str(&format!("\n      |{}^", " ".repeat(col)));
        if let Some(next) = lines.get(line) {
            out.push_str(&format!("\n {:>5}| {next}", line + 1));
        }
    }
    out.push('\n');
}

fn stats_json(vm: &Vm, elapsed: std::time::Duration) -> String {
    let gc = &vm.heap.stats;
    serde_json::json!({
        "cpuTime": elapsed.as_secs_f64(),
        "nrThunks": gc.thunks,
        "nrFunctionCalls": vm.stats.calls,
        "nrPrimOpCalls": vm.stats.builtin_calls,
        "nrValues": gc.allocations,
        "maxCallDepth": vm.stats.max_depth,
        "gc": {
            "collections": gc.collections,
            "fullCollections": gc.full_collections,
            "fullPauseSeconds": gc.full_pause.as_secs_f64(),
            "pauseSeconds": gc.pause.as_secs_f64(),
            "peakObjects": vm.heap.peak_objects(),
            "freed": gc.freed,
        },
    })
    .to_string()
}

/// Frames shown without `--show-trace`.
const SHORT_TRACE: usize = 4;

/// The error as an ariadne report: the message at its position, the frames being evaluated as
/// further labels (innermost first), in every file they touch.
pub(crate) fn render_pretty(vm: &Vm, e: &EvalError, full: bool, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    use ariadne::{Color as AColor, Config, Label, Report, ReportKind};
    let span = |pos: lix_vm::Pos| -> (String, std::ops::Range<usize>) {
        let (path, text) = vm.file_source(pos.file);
        let start = (u32::from(pos.range.start()) as usize).min(text.len());
        let end = (u32::from(pos.range.end()) as usize).clamp(start, text.len());
        let end = if end == start { (start + 1).min(text.len()) } else { end };
        (path.to_string(), start..end)
    };
    let config = Config::default().with_color(color).with_index_type(ariadne::IndexType::Byte);
    let anchor = e.pos.or_else(|| e.trace.iter().find_map(|t| t.pos));
    let Some(anchor) = anchor else {
        return writeln!(out, "error: {}", e.message);
    };
    let mut report = Report::build(ReportKind::Error, span(anchor)).with_config(config).with_message(&e.message);
    if let Some(pos) = e.pos {
        report = report.with_label(Label::new(span(pos)).with_message(&e.message).with_color(AColor::Red).with_order(0));
    }
    let shown = if full { e.trace.len() } else { e.trace.len().min(SHORT_TRACE) };
    for (i, entry) in e.trace.iter().take(shown).enumerate() {
        if let Some(pos) = entry.pos {
            report = report.with_label(Label::new(span(pos)).with_message(&entry.message).with_order(i as i32 + 1));
        } else {
            report = report.with_note(&entry.message);
        }
    }
    if shown < e.trace.len() {
        report = report.with_help(format!("{} more frames; use --show-trace to see them all", e.trace.len() - shown));
    }
    let mut files: Vec<(String, String)> = Vec::new();
    for pos in e.pos.into_iter().chain(e.trace.iter().filter_map(|t| t.pos)) {
        let (path, text) = vm.file_source(pos.file);
        if !files.iter().any(|(p, _)| p == path) {
            files.push((path.to_string(), text.to_string()));
        }
    }
    report.finish().write(ariadne::sources(files), out)
}
