//! `__curPos` to the set it evaluates to: `{ file = toString ./NAME; line = L; column = C; }`,
//! with the line and column it had in the original file (the pragma line added by the
//! migration does not move it) and the file named relative to itself, so the value stays
//! right when the file's directory moves. Refused for standard input, for file names that are
//! no path literal, and where `toString` and `builtins` are both shadowed.

use lix_syntax::ast::{self, AstNode};
use lix_syntax::SyntaxNode;

use super::scope::{resolve, Binder};
use super::{Context, Edit, Refusal};

/// One edit per `__curPos`.
pub(super) fn edits(root: &SyntaxNode, text: &str, ctx: &Context) -> Result<Vec<Edit>, Refusal> {
    let mut edits = Vec::new();
    for var in root.descendants().filter_map(ast::Variable::cast) {
        if var.name().as_deref() != Some("__curPos") {
            continue;
        }
        let range = var.syntax().text_range();
        let name = match &ctx.file_name {
            Some(name) if is_path_literal_name(name) => name,
            Some(name) => {
                return Err(Refusal::at(range, format!("'__curPos' names this file, and '{name}' cannot be written as a path literal")))
            }
            None => return Err(Refusal::at(range, "'__curPos' names the file it is in, and this source has no file")),
        };
        let to_string = if matches!(resolve(var.syntax(), "toString"), Binder::Unbound { .. }) {
            "toString"
        } else if matches!(resolve(var.syntax(), "builtins"), Binder::Unbound { .. }) {
            "builtins.toString"
        } else {
            return Err(Refusal::at(range, "'toString' and 'builtins' are both shadowed here"));
        };
        let offset = usize::from(range.start());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(offset, |i| offset - i - 1) + 1;
        edits.push(Edit::replace_range(
            range,
            format!("{{ file = {to_string} ./{name}; line = {line}; column = {column}; }}"),
        ));
    }
    Ok(edits)
}

/// Whether `./NAME` is a path literal naming the file `name`.
fn is_path_literal_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
}
