//! The pragma `# edition = "2026"`: an existing pragma line is replaced; a blank first line
//! becomes the pragma; otherwise it is a new first line. A new line moves every position in
//! the file down by one, which `builtins.unsafeGetAttrPos` can observe: files that call it
//! (and do not start with a blank line) are refused.

use lix_syntax::{SyntaxKind, SyntaxNode, SyntaxToken};

use super::{Context, Edit, Refusal};

/// The pragma edit.
pub(super) fn edits(root: &SyntaxNode, text: &str, ctx: &Context) -> Result<Vec<Edit>, Refusal> {
    let pragma = format!("# edition = \"{}\"", ctx.to);
    if let Some((_, range)) = crate::pragma(text) {
        let range = range.start as usize..range.end as usize;
        if text[range.clone()] == pragma {
            return Ok(Vec::new());
        }
        return Ok(vec![Edit::replace(range, pragma)]);
    }
    let first_line = text.split_inclusive('\n').next().unwrap_or("");
    let newline = if first_line.ends_with("\r\n") { "\r\n" } else { "\n" };
    if first_line.ends_with('\n') && first_line.trim().is_empty() {
        let end = first_line.trim_end_matches(['\r', '\n']).len();
        return Ok(vec![Edit::replace(0..end, pragma)]);
    }
    if let Some(token) = reads_positions(root) {
        return Err(Refusal::at(
            token.text_range(),
            "the file reads attribute positions ('unsafeGetAttrPos'), which a pragma line would move; \
             name the edition in a lix.toml instead, or start the file with a blank line for the pragma",
        ));
    }
    Ok(vec![Edit::replace(0..0, format!("{pragma}{newline}"))])
}

/// The first mention of `unsafeGetAttrPos`, if the file reads attribute positions.
pub(super) fn reads_positions(root: &SyntaxNode) -> Option<SyntaxToken> {
    root.descendants_with_tokens().filter_map(|e| e.into_token()).find(|t| {
        t.kind() == SyntaxKind::IDENT && matches!(t.text(), "unsafeGetAttrPos" | "__unsafeGetAttrPos")
    })
}
