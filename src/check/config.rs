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
use lix_editions::{Edition, EditionError, EditionSource};
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
    /// The edition `lix.toml` names, if it names one (or why it cannot be read).
    pub edition: Result<Option<(Edition, PathBuf)>, (PathBuf, String)>,
}

impl Config {
    /// The edition of a file with `text` under this configuration: its pragma, else this
    /// `lix.toml`'s, else `flag`, else the default (as `lix_editions::detect` finds it, with
    /// the `lix.toml` looked up once per directory).
    pub fn edition_of(&self, text: &str, flag: Option<Edition>) -> Result<(Edition, EditionSource), EditionError> {
        if let Some((edition, range)) = lix_editions::pragma(text) {
            return match edition {
                Ok(edition) => Ok((edition, EditionSource::Pragma)),
                Err(error) => Err(EditionError::Pragma { error, range }),
            };
        }
        match &self.edition {
            Ok(Some((edition, path))) => Ok((*edition, EditionSource::LixToml(path.clone()))),
            Err((path, message)) => Err(EditionError::LixToml { path: path.clone(), message: message.clone() }),
            Ok(None) => Ok(match flag {
                Some(edition) => (edition, EditionSource::Flag),
                None => (Edition::DEFAULT, EditionSource::Default),
            }),
        }
    }

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
    let edition = match path.parent() {
        // The editions crate reads `edition`; given the file's own directory, it finds this file.
        Some(dir) => lix_editions::from_lix_toml(dir).map_err(|e| (path.to_path_buf(), e.to_string())),
        None => Ok(None),
    };
    let mut config = Config { path: Some(path.to_path_buf()), edition, ..defaults(overrides) };
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
    Config { path: None, lints, ignore: GlobSet::empty(), deny: None, edition: Ok(None) }
}

/// Finds and caches the configuration of each directory.
pub struct Configs {
    overrides: Overrides,
    /// Canonical form of each directory seen (one `lstat` per new directory, instead of a
    /// `realpath` of the whole path per file).
    canonical: Mutex<HashMap<PathBuf, PathBuf>>,
    /// Configuration by canonical directory.
    by_dir: Mutex<HashMap<PathBuf, Result<Arc<Config>, String>>>,
}

impl Configs {
    /// A cache applying `overrides` to every configuration.
    pub fn new(overrides: Overrides) -> Self {
        Configs { overrides, canonical: Mutex::new(HashMap::new()), by_dir: Mutex::new(HashMap::new()) }
    }

    /// The canonical path of directory `dir`.
    fn canonical_dir(&self, dir: &Path) -> PathBuf {
        if let Some(found) = self.canonical.lock().ok().and_then(|c| c.get(dir).cloned()) {
            return found;
        }
        let is_link = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        let found = match (dir.parent(), dir.file_name()) {
            (Some(parent), Some(name)) if !is_link && !parent.as_os_str().is_empty() && name != ".." => {
                self.canonical_dir(parent).join(name)
            }
            _ => dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
        };
        if let Ok(mut cache) = self.canonical.lock() {
            cache.insert(dir.to_path_buf(), found.clone());
        }
        found
    }

    /// The configuration of canonical directory `dir`: its `lix.toml`, else its parent's.
    fn for_dir(&self, dir: &Path) -> Result<Arc<Config>, String> {
        if let Some(found) = self.by_dir.lock().ok().and_then(|c| c.get(dir).cloned()) {
            return found;
        }
        let toml = dir.join("lix.toml");
        let found = if toml.is_file() {
            read(&toml, &self.overrides).map(Arc::new)
        } else {
            match dir.parent() {
                Some(parent) => self.for_dir(parent),
                None => Ok(Arc::new(defaults(&self.overrides))),
            }
        };
        if let Ok(mut cache) = self.by_dir.lock() {
            cache.insert(dir.to_path_buf(), found.clone());
        }
        found
    }

    /// The configuration for `file` (or for standard input, `None`: the current directory's).
    pub fn for_file(&self, file: Option<&Path>) -> Result<Arc<Config>, String> {
        let dir = match file.and_then(Path::parent) {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = self.canonical_dir(&dir);
        self.for_dir(&dir)
    }
}
