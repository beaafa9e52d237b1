//! `lixc migrate`: rewriting a file to a later edition as a sequence of passes over its syntax
//! tree, each a list of text edits, so that everything a pass does not rewrite (comments,
//! layout) stays byte for byte.
//!
//! The edition passes keep the file's value: URL literals become strings, `let { }` becomes
//! `let ... in`, `or` used as a variable is renamed, `__curPos` becomes the position it stood
//! for, and the pragma is added. Files where one of them cannot keep the value are refused with
//! the reason. The modernisations (`--modernize`) are optional: runs of `x.a x.b` and
//! `builtins.attrValues { inherit (x) a b; }` to container inherits, nested calls to pipes, and
//! (asked for by name) nixpkgs' `lib.pipe` calls to pipes.

mod cur_pos;
mod globals;
mod inherits;
mod legacy_let;
mod lib_pipe;
mod or_ident;
mod pipes;
mod pragma;
mod scope;
mod url;

use std::fmt;
use std::ops::Range;

use lix_syntax::{SyntaxKind, SyntaxNode};

use crate::Edition;

/// A replacement of a byte range of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The bytes replaced.
    pub range: Range<usize>,
    /// What replaces them.
    pub text: String,
}

impl Edit {
    /// Replaces `range` with `text`.
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit { range, text: text.into() }
    }

    /// Replaces the text of `node` (or token) with `text`.
    pub fn replace_range(range: lix_syntax::TextRange, text: impl Into<String>) -> Edit {
        Edit { range: usize::from(range.start())..usize::from(range.end()), text: text.into() }
    }
}

/// One rewrite of the migration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pass {
    /// `http://a.org` → `"http://a.org"`.
    UrlLiterals,
    /// `let { ...; body = e; }` → `let ... in e`.
    LegacyLet,
    /// `or` as a variable → a fresh name, bindings and uses alike.
    OrIdentifier,
    /// `__curPos` → the set it stood for.
    CurPos,
    /// Names whose value edition 2026 changes (`dbg` from a `with`, `langVersion`): refused.
    Globals,
    /// The `# edition = "..."` pragma.
    Pragma,
    /// `f (g (h x))` → `h x |> g |> f`.
    Pipes,
    /// `[ x.a x.b ]` and `builtins.attrValues { inherit (x) a b; }` → `inherit (x) [ a b ]`.
    Inherits,
    /// `lib.pipe x [ f g ]` → `x |> f |> g` (asked for by name: `lib` is nixpkgs' library).
    LibPipe,
}

impl Pass {
    /// The passes that take a 2024 file to 2026, in the order they run.
    pub const TO_2026: [Pass; 6] =
        [Pass::UrlLiterals, Pass::LegacyLet, Pass::OrIdentifier, Pass::CurPos, Pass::Globals, Pass::Pragma];

    /// The pass's name, as reports and `--modernize` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Pass::UrlLiterals => "url-literals",
            Pass::LegacyLet => "legacy-let",
            Pass::OrIdentifier => "or-identifier",
            Pass::CurPos => "cur-pos",
            Pass::Globals => "globals",
            Pass::Pragma => "pragma",
            Pass::Pipes => "pipes",
            Pass::Inherits => "inherits",
            Pass::LibPipe => "lib-pipe",
        }
    }

    /// Runs the pass once over `root` (the tree of `text`).
    fn edits(self, root: &SyntaxNode, text: &str, ctx: &Context) -> Result<Vec<Edit>, Refusal> {
        match self {
            Pass::UrlLiterals => Ok(url::edits(root)),
            Pass::LegacyLet => legacy_let::edits(root),
            Pass::OrIdentifier => or_ident::edits(root),
            Pass::CurPos => cur_pos::edits(root, text, ctx),
            Pass::Globals => globals::check(root).map(|()| Vec::new()),
            Pass::Pragma => pragma::edits(root, text, ctx),
            Pass::Pipes => Ok(pipes::edits(root)),
            Pass::Inherits => Ok(inherits::edits(root)),
            Pass::LibPipe => Ok(lib_pipe::edits(root)),
        }
    }

    /// Whether the pass runs again on its own output until nothing changes (rewrites that
    /// can nest).
    fn to_fixpoint(self) -> bool {
        matches!(self, Pass::LegacyLet | Pass::Pipes | Pass::Inherits | Pass::LibPipe)
    }
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The optional modernisations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modernize {
    /// Nested calls to pipes.
    pub pipes: bool,
    /// Selections and `attrValues` to container inherits.
    pub inherits: bool,
    /// `lib.pipe` calls to pipes; asking for it says `lib` is nixpkgs' library.
    pub lib_pipe: bool,
}

/// What a migration needs beyond the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrateOptions {
    /// The edition the file is read in now.
    pub from: Edition,
    /// The edition to migrate to.
    pub to: Edition,
    /// Which modernisations to make (they need edition 2026).
    pub modernize: Modernize,
    /// The file's name (its last path component), for rewrites that refer to the file itself;
    /// `None` for standard input.
    pub file_name: Option<String>,
}

/// What the passes see besides the tree.
struct Context {
    to: Edition,
    file_name: Option<String>,
}

/// Why a pass cannot rewrite a file without changing its value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    /// What stands in the way, lower-case.
    pub reason: String,
    /// Where, as a byte range of the text the pass saw.
    pub range: Range<usize>,
}

impl Refusal {
    fn at(range: lix_syntax::TextRange, reason: impl Into<String>) -> Refusal {
        Refusal { reason: reason.into(), range: usize::from(range.start())..usize::from(range.end()) }
    }
}

/// Why a file was not migrated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    /// The file has syntax errors under its own edition.
    #[error("the file does not parse ({message})")]
    Syntax {
        /// The first error.
        message: String,
        /// Where.
        range: Range<usize>,
    },
    /// The file uses syntax its own edition does not have.
    #[error("{message}")]
    Edition {
        /// The first violation.
        message: String,
        /// Where.
        range: Range<usize>,
    },
    /// A pass cannot keep the file's value.
    #[error("{pass}: {refusal}")]
    Refused {
        /// The pass.
        pass: Pass,
        /// Why, and where in the original text (when the pass ran on it; later passes see
        /// rewritten text, and then the range is empty at 0).
        refusal: Refusal,
    },
    /// Migrating to an older edition.
    #[error("cannot migrate from edition {from} to the older edition {to}")]
    Downgrade {
        /// The file's edition.
        from: Edition,
        /// The edition asked for.
        to: Edition,
    },
    /// The result did not pass the checks every migration must pass: a bug in a pass.
    #[error("internal error: after the pass {pass}, the file would not be valid: {message}")]
    Invalid {
        /// The pass after which the text was wrong.
        pass: Pass,
        /// The first error.
        message: String,
    },
}

impl MigrateError {
    /// The byte range of the original text the error concerns, if it has one.
    pub fn range(&self) -> Option<Range<usize>> {
        match self {
            MigrateError::Syntax { range, .. } | MigrateError::Edition { range, .. } => Some(range.clone()),
            MigrateError::Refused { refusal, .. } => Some(refusal.range.clone()),
            MigrateError::Downgrade { .. } | MigrateError::Invalid { .. } => None,
        }
    }
}

/// A migrated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// The new text (equal to the old when nothing changed).
    pub text: String,
    /// Each pass that changed something, with its number of edits.
    pub changes: Vec<(Pass, usize)>,
}

impl Migration {
    /// Whether the migration changes the file.
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// Migrates `text` as `options` say. Refuses (and changes nothing) when the file does not
/// parse, or when a rewrite could not keep its value.
pub fn migrate(text: &str, options: &MigrateOptions) -> Result<Migration, MigrateError> {
    if options.to < options.from {
        return Err(MigrateError::Downgrade { from: options.from, to: options.to });
    }
    let parse = lix_syntax::parse(text);
    if let Some(e) = parse.errors().first() {
        let range = e.range.start as usize..e.range.end as usize;
        return Err(MigrateError::Syntax { message: e.message.clone(), range });
    }
    if let Some(v) = crate::check(&parse.syntax(), options.from).first() {
        return Err(MigrateError::Edition {
            message: v.message.clone(),
            range: v.range.start as usize..v.range.end as usize,
        });
    }
    let ctx = Context { to: options.to, file_name: options.file_name.clone() };
    let mut passes: Vec<Pass> = Vec::new();
    if options.from < Edition::E2026 && options.to >= Edition::E2026 {
        passes.extend(Pass::TO_2026);
    }
    if options.to >= Edition::E2026 {
        if options.modernize.inherits {
            passes.push(Pass::Inherits);
        }
        if options.modernize.pipes {
            passes.push(Pass::Pipes);
        }
        if options.modernize.lib_pipe {
            passes.push(Pass::LibPipe);
        }
    }
    let mut current = text.to_string();
    let mut changes = Vec::new();
    let mut edition = options.from;
    for pass in passes {
        let mut count = 0;
        // A pass that can nest runs until it finds nothing more (bounded: every round makes
        // the text strictly smaller in the rewritten constructs).
        let rounds = if pass.to_fixpoint() { 16 } else { 1 };
        for _ in 0..rounds {
            let root = lix_syntax::parse(&current).syntax();
            let edits = pass.edits(&root, &current, &ctx).map_err(|mut refusal| {
                if current != text {
                    refusal.range = 0..0;
                }
                MigrateError::Refused { pass, refusal }
            })?;
            if edits.is_empty() {
                break;
            }
            count += edits.len();
            current = apply(&current, edits);
        }
        if pass == Pass::Pragma {
            edition = options.to;
        }
        if count > 0 {
            verify(&current, pass, if pass == Pass::Pragma { options.to } else { edition })?;
            changes.push((pass, count));
        }
    }
    Ok(Migration { text: current, changes })
}

/// Runs one pass alone over `text` (once, or to its fixpoint), as the snapshot tests do.
pub fn run_pass(pass: Pass, text: &str, file_name: Option<&str>) -> Result<String, Refusal> {
    let ctx = Context { to: Edition::E2026, file_name: file_name.map(str::to_string) };
    let mut current = text.to_string();
    let rounds = if pass.to_fixpoint() { 16 } else { 1 };
    for _ in 0..rounds {
        let root = lix_syntax::parse(&current).syntax();
        let edits = pass.edits(&root, &current, &ctx)?;
        if edits.is_empty() {
            break;
        }
        current = apply(&current, edits);
    }
    Ok(current)
}

/// The text parses, and (for the passes before the pragma) nothing the pass handled is left.
fn verify(text: &str, pass: Pass, edition: Edition) -> Result<(), MigrateError> {
    let parse = lix_syntax::parse(text);
    if let Some(e) = parse.errors().first() {
        return Err(MigrateError::Invalid { pass, message: e.message.clone() });
    }
    let root = parse.syntax();
    if let Some(v) = crate::check(&root, edition).first() {
        return Err(MigrateError::Invalid { pass, message: v.message.clone() });
    }
    Ok(())
}

/// Applies non-overlapping edits (in any order) to `text`. Of edits that overlap, the first
/// in source order wins; the others are dropped (a later round of a fixpoint pass redoes them).
pub fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        if edit.range.start < at {
            continue;
        }
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.text);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether an expression standing as `node` may be any expression (a `let`, a lambda, a
/// pipe) without parentheses: the whole file, inside parentheses or `${ }`, a binding's value,
/// the body of `let`, `with`, `assert` and lambdas, the parts of `if`, a pattern default.
fn takes_any_expr(node: &SyntaxNode) -> bool {
    let Some(parent) = node.parent() else { return true };
    matches!(
        parent.kind(),
        SyntaxKind::ROOT
            | SyntaxKind::PAREN
            | SyntaxKind::INTERPOL
            | SyntaxKind::ATTRPATH_VALUE
            | SyntaxKind::LET_IN
            | SyntaxKind::WITH
            | SyntaxKind::ASSERT
            | SyntaxKind::IF_ELSE
            | SyntaxKind::LAMBDA
            | SyntaxKind::PAT_ENTRY
            | SyntaxKind::INHERIT_FROM
    )
}

/// `text` in parentheses unless `node`'s place takes any expression.
fn parenthesize_for(node: &SyntaxNode, text: String) -> String {
    if takes_any_expr(node) {
        text
    } else {
        format!("({text})")
    }
}

/// Whether the subtree holds a comment (rewrites that reorder code skip such subtrees, so no
/// comment moves away from what it describes).
fn has_comment(node: &SyntaxNode) -> bool {
    node.descendants_with_tokens().any(|e| e.kind() == SyntaxKind::COMMENT)
}

#[cfg(test)]
mod tests;
