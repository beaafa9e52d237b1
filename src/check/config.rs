//! The `[check]` table of `lix.toml`: which lints run, at which severity, which files are
//! skipped, and the `--deny` level. The nearest `lix.toml` above a file applies to it.
//!
//! ```toml
//! [check]
//! disable = ["L005", "useless-parens"]
//! ignore = ["vendor/**", "**/generated/*.nix"]
//! no-lambda-arg = true
//! deny = "warning"
//!
//! [check.severity]
//! L013 = "warning"
//! L017 = "off"
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobSet, GlobSetBuilder};
use lix_hir::lint::Lint;
use serde::Deserialize;

use crate::diagnostic::{LintSettings, Severity};

#[derive(Deserialize, Default)]
struct LixToml {
    /// Other tables and keys belong to other commands.
    #[serde(default)]
    check: Option<CheckTable>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CheckTable {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    enable: Vec<String>,
    #[serde(default)]
    severity: HashMap<String, String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    no_lambda_arg: Option<bool>,
    #[serde(default)]
    deny: Option<String>,
}

/// The `[check]` settings that apply to the files below one directory.
#[derive(Clone, Debug)]
pub struct Config {
    /// The `lix.toml` they come from, if any.
    pub path: Option<PathBuf>,
    /// The lints' levels and options (command-line flags already applied).
    pub lints: LintSettings,
    /// Files to skip, relative to the directory of `path`.
    ignore: GlobSet,
    /// The configured `--deny` level.
    pub deny: Option<Severity>,
}

impl Config {
    /// Whether `file` (found by walking a directory) is to be skipped.
    pub fn ignores(&self, file: &Path) -> bool {
        let Some(dir) = self.path.as_deref().and_then(Path::parent) else { return false };
        let file = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        file.strip_prefix(dir).is_ok_and(|rel| self.ignore.is_match(rel))
    }
}

/// What the command line adds on top of every configuration.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--disable CODE`.
    pub disable: Vec<Lint>,
    /// `--no-lambda-arg`.
    pub no_lambda_arg: bool,
}

fn lint_named(name: &str, path: &Path) -> Result<Lint, String> {
    Lint::from_code(name).ok_or_else(|| format!("{}: [check]: unknown lint '{name}'", path.display()))
}

fn severity_named(name: &str, path: &Path) -> Result<Option<Severity>, String> {
    match name {
        "off" | "allow" | "none" => Ok(None),
        _ => lix_hir::lint::Severity::from_name(name)
            .map(|s| Some(s.into()))
            .ok_or_else(|| format!("{}: [check]: unknown severity '{name}' (hint, warning, error or off)", path.display())),
    }
}

/// Reads the `[check]` table of the `lix.toml` at `path`.
fn read(path: &Path, overrides: &Overrides) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let toml: LixToml = toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
    let table = toml.check.unwrap_or_default();
    let mut config = Config { path: Some(path.to_path_buf()), ..defaults(overrides) };
    let mut levels = Vec::new();
    for name in &table.disable {
        levels.push((lint_named(name, path)?, None));
    }
    for name in &table.enable {
        let lint = lint_named(name, path)?;
        levels.push((lint, Some(lint.default_severity().into())));
    }
    let mut severities: Vec<(&String, &String)> = table.severity.iter().collect();
    severities.sort();
    for (name, level) in severities {
        levels.push((lint_named(name, path)?, severity_named(level, path)?));
    }
    levels.extend(overrides.disable.iter().map(|l| (*l, None)));
    config.lints.levels = levels;
    if table.no_lambda_arg == Some(true) {
        config.lints.options.lambda_args = false;
    }
    let mut globs = GlobSetBuilder::new();
    for pattern in &table.ignore {
        globs.add(Glob::new(pattern).map_err(|e| format!("{}: [check] ignore: {e}", path.display()))?);
    }
    config.ignore = globs.build().map_err(|e| format!("{}: [check] ignore: {e}", path.display()))?;
    config.deny = match &table.deny {
        Some(name) => Some(
            lix_hir::lint::Severity::from_name(name)
                .map(Severity::from)
                .ok_or_else(|| format!("{}: [check] deny: unknown severity '{name}' (hint, warning or error)", path.display()))?,
        ),
        None => None,
    };
    Ok(config)
}

/// Settings where no `lix.toml` says anything.
fn defaults(overrides: &Overrides) -> Config {
    let mut lints = LintSettings::all();
    lints.levels = overrides.disable.iter().map(|l| (*l, None)).collect();
    lints.options.lambda_args = !overrides.no_lambda_arg;
    Config { path: None, lints, ignore: GlobSet::empty(), deny: None }
}

/// Finds and caches the configuration of each directory.
pub struct Configs {
    overrides: Overrides,
    by_dir: Mutex<HashMap<PathBuf, Result<Arc<Config>, String>>>,
}

impl Configs {
    /// A cache applying `overrides` to every configuration.
    pub fn new(overrides: Overrides) -> Self {
        Configs { overrides, by_dir: Mutex::new(HashMap::new()) }
    }

    /// The configuration for `file` (or for standard input, `None`: the current directory's).
    pub fn for_file(&self, file: Option<&Path>) -> Result<Arc<Config>, String> {
        let dir = match file.and_then(Path::parent) {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = dir.canonicalize().unwrap_or(dir);
        if let Some(found) = self.by_dir.lock().map_err(|_| "configuration cache poisoned".to_string())?.get(&dir) {
            return found.clone();
        }
        let found = match dir.ancestors().map(|d| d.join("lix.toml")).find(|p| p.is_file()) {
            Some(path) => read(&path, &self.overrides).map(Arc::new),
            None => Ok(Arc::new(defaults(&self.overrides))),
        };
        if let Ok(mut cache) = self.by_dir.lock() {
            cache.insert(dir, found.clone());
        }
        found
    }
}
