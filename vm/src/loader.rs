//! Loading source files into the VM: read through `EvalIO`, run the salsa pipeline (parse,
//! lower, compile), and turn the compiled file's tables into run-time objects (symbols,
//! constant strings and paths). `import` caches the value of each file by path.

use std::rc::Rc;
use std::sync::Arc;

use lix_compiler::{compile_file, CompiledFile};
use lix_editions::Edition;
use lix_hir::db::{file_diagnostics, lower_file, parse_file, DiagnosticKind, RootDatabase, SourceFile};
use lix_syntax::TextRange;

use crate::error::{ErrorKind, EvalError, EvalResult, Pos, Warning, WarningLayout};
use crate::symbol::Symbol;
use crate::value::{CodeRef, Gc, NixStr, Value};
use crate::vm::RtProto;
use crate::Vm;

/// A file the VM has loaded.
pub(crate) struct LoadedFile {
    pub path: String,
    pub text: Arc<str>,
    pub compiled: Arc<CompiledFile>,
    pub names: Vec<Symbol>,
    pub strings: Vec<Gc>,
    pub paths: Vec<Gc>,
    /// Each set literal's names, sorted, and for each where its value is among the literal's
    /// values on the stack (which come in source order): a set is built in order, not sorted.
    pub shapes: Vec<(Box<[Symbol]>, Box<[u32]>)>,
    /// Where each shape's attributes are defined, sorted by symbol.
    pub shape_positions: Vec<crate::value::AttrPositions>,
    pub root: CodeRef,
    /// The edition the file is read in (it decides which globals it sees).
    pub edition: Edition,
    /// The global each name (by index in `names`) resolved to, once looked up: globals are
    /// only ever added, so a name found stays found. Values are rooted by the globals tables.
    pub global_cache: Vec<Option<Value>>,
}

/// The salsa database of a VM (one per evaluation; files are inputs).
#[derive(Default)]
pub struct Loader {
    db: RootDatabase,
}

impl Vm {
    /// Loads source `text` named `path` (a file path, or a pseudo name like `(string)`),
    /// with relative paths resolved against `base_dir`. Returns the loaded-file index.
    pub fn load_source(&mut self, path: &str, text: &str, base_dir: &str) -> EvalResult<u32> {
        let edition = self.file_edition(path, text, base_dir)?;
        self.load_with_edition(path, text, base_dir, edition)
    }

    /// The edition of a file: its pragma, else the nearest `lix.toml` (files with a path), else
    /// the configured default.
    fn file_edition(&mut self, path: &str, text: &str, base_dir: &str) -> EvalResult<Edition> {
        Ok(match lix_editions::pragma(text) {
            Some((Ok(e), _)) => e,
            Some((Err(e), range)) => {
                return Err(EvalError::new(ErrorKind::Other, format!("{e}")).at_text(self, path, text, range.start));
            }
            None if path.starts_with('/') => match self.lix_toml_edition(base_dir) {
                Ok(Some(e)) => e,
                Ok(None) => self.config.default_edition,
                Err(message) => return Err(EvalError::new(ErrorKind::Other, message)),
            },
            None => self.config.default_edition,
        })
    }

    /// The edition named by the nearest `lix.toml` in `dir` or above (read through `EvalIO`,
    /// remembered per directory).
    fn lix_toml_edition(&mut self, dir: &str) -> Result<Option<Edition>, String> {
        if let Some(found) = self.edition_by_dir.get(dir) {
            return Ok(*found);
        }
        let candidate = format!("{}/lix.toml", dir.trim_end_matches('/'));
        let found = match self.io.read_file(&candidate) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let table: toml::Table = text.parse().map_err(|e| format!("{candidate}: {e}"))?;
                match table.get("edition") {
                    Some(toml::Value::String(name)) => {
                        Some(name.parse::<Edition>().map_err(|e| format!("{candidate}: {e}"))?)
                    }
                    Some(_) => return Err(format!("{candidate}: 'edition' must be a string")),
                    None => None,
                }
            }
            Err(_) => match dir.rfind('/') {
                Some(i) if dir.len() > 1 => {
                    let parent = if i == 0 { "/" } else { &dir[..i] };
                    self.lix_toml_edition(parent)?
                }
                _ => None,
            },
        };
        self.edition_by_dir.insert(dir.to_string(), found);
        Ok(found)
    }

    fn load_with_edition(&mut self, path: &str, text: &str, base_dir: &str, edition: Edition) -> EvalResult<u32> {
        self.load_file(path, text, base_dir, edition, false)
    }

    /// Loads a file; `scoped` compiles it for `scopedImport` (names that nothing in the file
    /// binds are looked up at run time, so they are not errors now).
    fn load_file(&mut self, path: &str, text: &str, base_dir: &str, edition: Edition, scoped: bool) -> EvalResult<u32> {
        let text: Arc<str> = text.into();
        let db = &self.loader.db;
        let file = SourceFile::new(db, path.to_string(), text.clone(), edition, base_dir.to_string());
        let mut diagnostics = file_diagnostics(db, file).to_vec();
        let (violations, lint_findings, cursed) = {
            let parse = parse_file(db, file);
            let root = parse.syntax();
            let lints = if self.config.lints.any() { crate::lint::check(&root, &self.config.lints) } else { Vec::new() };
            // Edition 2026 has no `or` variable at all (an edition error below).
            let cursed = if edition == Edition::E2024 { crate::lint::cursed_or(&root) } else { Vec::new() };
            (lix_editions::check(&root, edition), lints, cursed)
        };
        let compiled = if scoped {
            diagnostics.retain(|d| !(d.kind == DiagnosticKind::Lower && d.message.starts_with("undefined variable")));
            let lowered = lower_file(db, file);
            let body = &lowered.body;
            Arc::new(lix_compiler::compile_scoped(body, &|e| {
                let mut sub = body.clone();
                sub.root = e;
                lix_hir::print::print_nix(&sub)
            }))
        } else {
            compile_file(db, file).clone()
        };
        let index = self.register(path, text.clone(), compiled, edition);
        for (level, message, range) in lint_findings {
            let pos = Pos { file: index, range };
            if level == crate::lint::LintLevel::Fatal {
                return Err(EvalError::new(ErrorKind::Other, message).at(pos));
            }
            self.warnings.push(Warning { message, pos: Some(pos), layout: WarningLayout::Excerpt });
        }
        for range in cursed {
            let message = crate::lint::cursed_or_message(&text[range]);
            self.warnings.push(Warning { message, pos: Some(Pos { file: index, range }), layout: WarningLayout::Inline });
        }
        if let Some(d) = diagnostics.first() {
            let message = d.message.clone();
            return Err(EvalError::new(ErrorKind::Other, message).at(Pos { file: index, range: d.range }));
        }
        if let Some(v) = violations.first() {
            let range = TextRange::new(v.range.start.into(), v.range.end.into());
            let message = format!("{} ({})", v.message, v.help);
            return Err(EvalError::new(ErrorKind::Other, message).at(Pos { file: index, range }));
        }
        Ok(index)
    }

    fn register(&mut self, path: &str, text: Arc<str>, compiled: Arc<CompiledFile>, edition: Edition) -> u32 {
        let index = self.files.len() as u32;
        let file_base = self.protos.len() as u32;
        for p in &compiled.protos {
            self.protos.push(Rc::new(RtProto {
                code: p.code.clone().into_boxed_slice(),
                spans: p.spans.clone().into_boxed_slice(),
                slots: p.slots,
                captures: p.captures.clone().into_boxed_slice(),
                kind: p.kind.clone(),
                file: index,
                file_base,
                span: p.span,
                curried: curried_inner(p).map(|inner| file_base + inner),
                comparator: comparator(&compiled.protos, p),
                keeps_arg: p.keeps_arg,
                contexts: p.contexts.clone().into_boxed_slice(),
                hints: p.code.iter().map(|_| std::cell::Cell::new(0)).collect(),
            }));
        }
        let names: Vec<Symbol> = compiled.names.iter().map(|n| self.symbols.intern(n.as_bytes())).collect();
        let strings: Vec<Gc> = compiled
            .strings
            .iter()
            .map(|s| self.heap.alloc_str(NixStr { bytes: s.clone(), context: Box::new([]) }))
            .collect();
        let paths: Vec<Gc> = compiled
            .paths
            .iter()
            .map(|p| {
                let bytes = lix_syntax::source::encode(p).into_owned();
                self.heap.alloc_str(NixStr { bytes: bytes.into(), context: Box::new([]) })
            })
            .collect();
        self.permanent.extend(strings.iter().chain(paths.iter()).copied());
        let shapes = compiled
            .shapes
            .iter()
            .map(|shape| {
                let mut named: Vec<(Symbol, u32)> =
                    shape.iter().enumerate().map(|(i, &n)| (names[n as usize], i as u32)).collect();
                named.sort_by_key(|e| e.0);
                let (sorted, order): (Vec<Symbol>, Vec<u32>) = named.into_iter().unzip();
                (sorted.into_boxed_slice(), order.into_boxed_slice())
            })
            .collect();
        let root = CodeRef(file_base + compiled.root);
        let shape_positions = compiled
            .shapes
            .iter()
            .zip(&compiled.shape_spans)
            .map(|(shape, spans)| {
                let mut positions: Vec<(Symbol, Pos)> =
                    shape.iter().zip(spans).map(|(&n, &range)| (names[n as usize], Pos { file: index, range })).collect();
                positions.sort_by_key(|e| e.0);
                std::rc::Rc::new(positions.into_boxed_slice())
            })
            .collect();
        let global_cache = vec![None; names.len()];
        self.files.push(LoadedFile {
            path: path.to_string(),
            text,
            compiled,
            names,
            strings,
            paths,
            shapes,
            shape_positions,
            root,
            edition,
            global_cache,
        });
        index
    }

    /// Evaluates a file's expression (not cached; see [`Vm::import`]).
    pub fn eval_source(&mut self, path: &str, text: &str, base_dir: &str) -> EvalResult<Value> {
        let file = self.load_source(path, text, base_dir)?;
        self.run_file(file)
    }

    /// `scopedImport scope path`: the value of the file at `path` with the attributes of
    /// `scope` in scope (ahead of the globals). Not cached.
    pub fn scoped_import(&mut self, scope: Value, path: &str) -> EvalResult<Value> {
        let (path, text, base_dir) = self.read_source(path)?;
        let edition = self.file_edition(&path, &text, &base_dir)?;
        let file = self.load_file(&path, &text, &base_dir, edition, true)?;
        self.run_file_scoped(file, scope)
    }

    /// Reads the file at `path` (a directory: its `default.nix`): its path, text and directory.
    fn read_source(&mut self, path: &str) -> EvalResult<(String, String, String)> {
        if let Some(text) = path.strip_prefix(crate::corepkgs::PREFIX).and_then(crate::corepkgs::file) {
            let dir = crate::corepkgs::PREFIX.trim_end_matches('/').to_string();
            return Ok((path.to_string(), text.to_string(), dir));
        }
        let mut path = path.to_string();
        if matches!(self.io.file_type(&path), Ok(crate::io::FileType::Directory)) {
            path = format!("{}/default.nix", path.trim_end_matches('/'));
        }
        let bytes = self.io.read_file(&path).map_err(|e| {
            EvalError::new(
                ErrorKind::Other,
                if e.kind() == std::io::ErrorKind::NotFound {
                    format!("path '{path}' does not exist")
                } else {
                    format!("cannot read '{path}': {e}")
                },
            )
        })?;
        let text = match lix_syntax::source::decode(&bytes) {
            Ok(t) => t.into_owned(),
            Err(e) => return Err(EvalError::new(ErrorKind::Other, format!("cannot read '{path}': {e}"))),
        };
        let base_dir = match path.rfind('/') {
            Some(0) => "/".to_string(),
            Some(i) => path[..i].to_string(),
            None => ".".to_string(),
        };
        Ok((path, text, base_dir))
    }

    /// `import path`: the value of the file at `path` (a directory means its `default.nix`),
    /// evaluated once per path.
    pub fn import(&mut self, path: &str) -> EvalResult<Value> {
        let mut key = path.to_string();
        if matches!(self.io.file_type(&key), Ok(crate::io::FileType::Directory)) {
            key = format!("{}/default.nix", key.trim_end_matches('/'));
        }
        if let Some(&v) = self.import_cache.get(&key) {
            return self.force(v);
        }
        let (path, text, base_dir) = self.read_source(&key)?;
        let file = self.load_source(&path, &text, &base_dir)?;
        let root = self.files[file as usize].root;
        let thunk = self.heap.alloc_code_thunk(root, crate::value::ThunkUpvalues::none(), 0);
        self.import_cache.insert(path, Value::Thunk(thunk));
        self.force(Value::Thunk(thunk))
    }
}

/// The inner prototype of a lambda `x: <lambda>` whose whole body makes that lambda.
fn curried_inner(p: &lix_compiler::Proto) -> Option<u32> {
    let lix_compiler::ProtoKind::Lambda { pattern: None, .. } = p.kind else { return None };
    use lix_compiler::Op;
    match p.code.as_slice() {
        // The `Force` only marks the new closure as forced, which the fast path does too.
        [Op::Closure(inner), Op::Return] | [Op::Closure(inner), Op::Force, Op::Return] if p.slots == 1 => Some(*inner),
        _ => None,
    }
}

/// Whether `p` is `a: b: a < b` (`Some(false)`) or `a: b: b < a` (`Some(true)`, which is also
/// `a: b: a > b`): a comparator that `sort` can apply without calling it.
fn comparator(protos: &[lix_compiler::Proto], p: &lix_compiler::Proto) -> Option<bool> {
    use lix_compiler::{Op, Slot};
    let inner = protos.get(curried_inner(p)? as usize)?;
    let lix_compiler::ProtoKind::Lambda { pattern: None, .. } = inner.kind else { return None };
    if inner.captures.as_slice() != [Slot::Local(0)] {
        return None;
    }
    let (a, b) = (Op::LoadForce(Slot::Upvalue(0)), Op::LoadForce(Slot::Local(0)));
    match inner.code.as_slice() {
        [x, y, Op::Less, Op::Return] if (*x, *y) == (a, b) => Some(false),
        [x, y, Op::Less, Op::Return] if (*x, *y) == (b, a) => Some(true),
        _ => None,
    }
}

trait AtText {
    fn at_text(self, vm: &mut Vm, path: &str, text: &str, offset: u32) -> EvalError;
}

impl AtText for EvalError {
    fn at_text(self, vm: &mut Vm, path: &str, text: &str, offset: u32) -> EvalError {
        let compiled = Arc::new(CompiledFile::default());
        let index = vm.register(path, text.into(), compiled, Edition::DEFAULT);
        self.at(Pos { file: index, range: TextRange::new(offset.into(), offset.into()) })
    }
}
