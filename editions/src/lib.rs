//! Nix language editions: the [`Edition`] enum, how a file's edition is found, which syntax each
//! edition allows, and the check that reports syntax used outside its edition.
//!
//! The syntax crate parses the union of all editions; this crate decides what each file may use.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lix_syntax::ast::{self, AstNode};
use lix_syntax::{SyntaxKind, SyntaxNode};

pub mod migrate;

/// An edition of the Nix language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Edition {
    /// The Nix language as CppNix 2.x reads it, quirks included.
    E2024,
    /// Pipe operators, container inherits and `dbg`; legacy syntax removed.
    E2026,
}

impl Edition {
    /// Every edition, oldest first.
    pub const ALL: [Edition; 2] = [Edition::E2024, Edition::E2026];
    /// The edition of files that say nothing.
    pub const DEFAULT: Edition = Edition::E2024;
    /// The newest edition.
    pub const LATEST: Edition = Edition::E2026;

    /// The edition's name as written in pragmas and `lix.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Edition::E2024 => "2024",
            Edition::E2026 => "2026",
        }
    }

    /// `builtins.langVersion` under this edition.
    pub fn lang_version(self) -> i64 {
        match self {
            Edition::E2024 => 6,
            Edition::E2026 => 7,
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An edition name that names no edition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown edition \"{name}\" (known editions: 2024, 2026)")]
pub struct UnknownEdition {
    /// The name as written.
    pub name: String,
}

impl FromStr for Edition {
    type Err = UnknownEdition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Edition::ALL.into_iter().find(|e| e.name() == s).ok_or_else(|| UnknownEdition { name: s.to_string() })
    }
}

/// Where a file's edition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditionSource {
    /// `# edition = "..."` on the file's first non-blank line.
    Pragma,
    /// The nearest `lix.toml`.
    LixToml(PathBuf),
    /// `--edition` on the command line.
    Flag,
    /// Nothing said otherwise.
    Default,
}

impl fmt::Display for EditionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditionSource::Pragma => f.write_str("pragma"),
            EditionSource::LixToml(path) => write!(f, "{}", path.display()),
            EditionSource::Flag => f.write_str("--edition"),
            EditionSource::Default => f.write_str("default"),
        }
    }
}

/// Why a file's edition could not be found.
#[derive(Debug, thiserror::Error)]
pub enum EditionError {
    /// The pragma names an unknown edition.
    #[error("{error}")]
    Pragma {
        /// The unknown name.
        error: UnknownEdition,
        /// The byte range of the pragma line.
        range: Range<u32>,
    },
    /// A `lix.toml` names an unknown edition or cannot be read.
    #[error("{path}: {message}")]
    LixToml {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// What a pragma line says, if the file has one.
///
/// The pragma is the first non-blank line, of the form `# edition = "2026"` (whitespace aside).
/// Returns the named edition (or the unknown name) and the line's byte range.
pub fn pragma(text: &str) -> Option<(Result<Edition, UnknownEdition>, Range<u32>)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim();
        if content.is_empty() {
            continue;
        }
        let range = start as u32..(start + line.trim_end().len()) as u32;
        let rest = content.strip_prefix('#')?.trim_start();
        let rest = rest.strip_prefix("edition")?.trim_start();
        let rest = rest.strip_prefix('=')?.trim_start();
        let name = rest.strip_prefix('"')?.strip_suffix('"')?;
        return Some((name.parse(), range));
    }
    None
}

/// The `edition` of the nearest `lix.toml` in `dir` or above.
pub fn from_lix_toml(dir: &Path) -> Result<Option<(Edition, PathBuf)>, EditionError> {
    #[derive(serde::Deserialize)]
    struct LixToml {
        edition: Option<String>,
    }
    for dir in dir.ancestors() {
        let path = dir.join("lix.toml");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let config: LixToml = toml::from_str(&text)
            .map_err(|e| EditionError::LixToml { path: path.clone(), message: e.message().to_string() })?;
        return match config.edition {
            Some(name) => match name.parse() {
                Ok(edition) => Ok(Some((edition, path))),
                Err(e) => Err(EditionError::LixToml { path, message: e.to_string() }),
            },
            // A lix.toml without `edition` says nothing about it; keep looking further up? No:
            // the nearest configuration is the project's, and its silence means the default.
            None => Ok(None),
        };
    }
    Ok(None)
}

/// Finds the edition of the file at `path` (if it has one) with text `text`: the pragma, else the
/// nearest `lix.toml`, else `flag`, else [`Edition::DEFAULT`].
pub fn detect(path: Option<&Path>, text: &str, flag: Option<Edition>) -> Result<(Edition, EditionSource), EditionError> {
    if let Some((edition, range)) = pragma(text) {
        return match edition {
            Ok(edition) => Ok((edition, EditionSource::Pragma)),
            Err(error) => Err(EditionError::Pragma { error, range }),
        };
    }
    if let Some(dir) = path.and_then(Path::parent) {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if let Some((edition, toml)) = from_lix_toml(&dir)? {
            return Ok((edition, EditionSource::LixToml(toml)));
        }
    }
    Ok(match flag {
        Some(edition) => (edition, EditionSource::Flag),
        None => (Edition::DEFAULT, EditionSource::Default),
    })
}

/// A piece of syntax that not every edition allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// `x |> f` and `f <| x`.
    PipeOperator,
    /// `inherit (e) [ a b ]` and `inherit (e) { a b }`.
    ContainerInherit,
    /// `https://example.org` without quotes.
    UrlLiteral,
    /// `let { ...; body = ...; }`
    LegacyLet,
    /// The `__curPos` pseudo-variable.
    CurPos,
    /// `or` used as a variable (`map or [ ... ]`).
    OrIdentifier,
}

impl Feature {
    /// The first edition that has this feature.
    pub fn introduced(self) -> Edition {
        match self {
            Feature::PipeOperator | Feature::ContainerInherit => Edition::E2026,
            Feature::UrlLiteral | Feature::LegacyLet | Feature::CurPos | Feature::OrIdentifier => Edition::E2024,
        }
    }

    /// The first edition that no longer has this feature, if any.
    pub fn removed(self) -> Option<Edition> {
        match self {
            Feature::PipeOperator | Feature::ContainerInherit => None,
            Feature::UrlLiteral | Feature::LegacyLet | Feature::CurPos | Feature::OrIdentifier => Some(Edition::E2026),
        }
    }

    /// Whether `edition` allows this feature.
    pub fn allowed_in(self, edition: Edition) -> bool {
        edition >= self.introduced() && self.removed().is_none_or(|r| edition < r)
    }

    /// A short name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Feature::PipeOperator => "pipe operators",
            Feature::ContainerInherit => "container inherits",
            Feature::UrlLiteral => "URL literals",
            Feature::LegacyLet => "'let { ... }' (legacy let)",
            Feature::CurPos => "'__curPos'",
            Feature::OrIdentifier => "'or' as a variable",
        }
    }

    /// How to write the same thing without this feature, for removed features.
    fn replacement(self) -> &'static str {
        match self {
            Feature::UrlLiteral => "write the URL as a string: \"scheme:...\"",
            Feature::LegacyLet => "write 'let ... in body' instead of 'let { ...; body = ...; }'",
            Feature::CurPos => "write the position as a set '{ file = ...; line = ...; column = ...; }', or use 'builtins.unsafeGetAttrPos'",
            Feature::OrIdentifier => "rename the variable (and its binding)",
            Feature::PipeOperator | Feature::ContainerInherit => "",
        }
    }
}

/// Every edition-dependent piece of syntax in the tree, with its byte range.
pub fn features(root: &SyntaxNode) -> Vec<(Feature, Range<u32>)> {
    let range = |r: lix_syntax::TextRange| -> Range<u32> { r.start().into()..r.end().into() };
    let mut found = Vec::new();
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::BIN_OP => {
                if let Some(op) = ast::BinOp::cast(node).and_then(|b| b.operator_token()) {
                    if matches!(op.kind(), SyntaxKind::PIPE_INTO | SyntaxKind::PIPE_FROM) {
                        found.push((Feature::PipeOperator, range(op.text_range())));
                    }
                }
            }
            SyntaxKind::CONTAINER_INHERIT => found.push((Feature::ContainerInherit, range(node.text_range()))),
            SyntaxKind::INHERIT if ast::Inherit::cast(node.clone()).and_then(|i| i.container()).is_some() => {
                found.push((Feature::ContainerInherit, range(node.text_range())));
            }
            SyntaxKind::LITERAL
                if ast::Literal::cast(node.clone()).and_then(|l| l.kind()) == Some(ast::LiteralKind::Uri) =>
            {
                found.push((Feature::UrlLiteral, range(node.text_range())));
            }
            SyntaxKind::LEGACY_LET => {
                let head = node.first_token().map_or(node.text_range(), |t| t.text_range());
                found.push((Feature::LegacyLet, range(head)));
            }
            SyntaxKind::VARIABLE => {
                if let Some(token) = ast::Variable::cast(node.clone()).and_then(|v| v.token()) {
                    if token.kind() == SyntaxKind::OR_KW {
                        found.push((Feature::OrIdentifier, range(token.text_range())));
                    } else if token.text() == "__curPos" {
                        found.push((Feature::CurPos, range(token.text_range())));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Syntax used outside the editions that allow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditionViolation {
    /// What was used.
    pub feature: Feature,
    /// Where.
    pub range: Range<u32>,
    /// The file's edition.
    pub edition: Edition,
    /// A lower-case message naming the edition that has the feature.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl EditionViolation {
    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        if self.feature.removed().is_some_and(|r| self.edition >= r) {
            "ED02"
        } else {
            "ED01"
        }
    }
}

/// Reports every feature in the tree that `edition` does not allow.
pub fn check(root: &SyntaxNode, edition: Edition) -> Vec<EditionViolation> {
    features(root)
        .into_iter()
        .filter(|(feature, _)| !feature.allowed_in(edition))
        .map(|(feature, range)| {
            let (message, help) = if edition < feature.introduced() {
                (
                    format!(
                        "{} need edition {}, but this file is edition {edition}",
                        feature.describe(),
                        feature.introduced()
                    ),
                    format!(
                        "add '# edition = \"{}\"' as the file's first line, or run 'lixc migrate --to {}'",
                        feature.introduced(),
                        feature.introduced()
                    ),
                )
            } else {
                let removed = feature.removed().unwrap_or(Edition::LATEST);
                (
                    format!("edition {removed} removed {}", feature.describe()),
                    format!("{}, or run 'lixc migrate --to {removed}'", feature.replacement()),
                )
            };
            EditionViolation { feature, range, edition, message, help }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragma_forms() {
        assert_eq!(pragma("# edition = \"2026\"\nx").map(|p| p.0), Some(Ok(Edition::E2026)));
        assert_eq!(pragma("\n\n  #edition=\"2024\"  \nx").map(|p| p.0), Some(Ok(Edition::E2024)));
        assert!(matches!(pragma("# edition = \"2030\"").map(|p| p.0), Some(Err(_))));
        assert_eq!(pragma("x # edition = \"2026\""), None);
        assert_eq!(pragma("# a comment\n# edition = \"2026\""), None);
        assert_eq!(pragma(""), None);
    }

    #[test]
    fn feature_table() {
        assert!(Feature::PipeOperator.allowed_in(Edition::E2026));
        assert!(!Feature::PipeOperator.allowed_in(Edition::E2024));
        assert!(Feature::UrlLiteral.allowed_in(Edition::E2024));
        assert!(!Feature::UrlLiteral.allowed_in(Edition::E2026));
    }

    fn violations(src: &str, edition: Edition) -> Vec<(Feature, String)> {
        let parse = lix_syntax::parse(src);
        assert!(parse.is_ok(), "{:?}", parse.errors());
        check(&parse.syntax(), edition)
            .into_iter()
            .map(|v| (v.feature, src[v.range.start as usize..v.range.end as usize].to_string()))
            .collect()
    }

    #[test]
    fn checks_both_directions() {
        let src = "[ http://a.org (inherit (z) [ a ]) (x |> f) let { body = __curPos; } (map or) ]";
        assert_eq!(violations(src, Edition::E2024), vec![
            (Feature::ContainerInherit, "inherit (z) [ a ]".into()),
            (Feature::PipeOperator, "|>".into()),
        ]);
        assert_eq!(violations(src, Edition::E2026), vec![
            (Feature::UrlLiteral, "http://a.org".into()),
            (Feature::LegacyLet, "let".into()),
            (Feature::CurPos, "__curPos".into()),
            (Feature::OrIdentifier, "or".into()),
        ]);
    }

    #[test]
    fn detection_order() {
        let dir = std::env::temp_dir().join(format!("lix-editions-test-{}", std::process::id()));
        let sub = dir.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.join("lix.toml"), "edition = \"2026\"\n").unwrap();
        let file = sub.join("f.nix");
        assert_eq!(detect(Some(&file), "1", None).unwrap().0, Edition::E2026);
        assert_eq!(detect(Some(&file), "# edition = \"2024\"\n1", None).unwrap().0, Edition::E2024);
        std::fs::write(dir.join("lix.toml"), "edition = \"1999\"\n").unwrap();
        assert!(matches!(detect(Some(&file), "1", None), Err(EditionError::LixToml { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(detect(None, "1", Some(Edition::E2026)).unwrap(), (Edition::E2026, EditionSource::Flag));
        assert_eq!(detect(None, "1", None).unwrap(), (Edition::E2024, EditionSource::Default));
    }
}
