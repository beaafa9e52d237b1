//! The values of string literals: escape decoding, and the indentation rules of `''...''`.

use logos::Logos;

/// Decodes the text of a `"..."` string piece: `\n`, `\r`, `\t`, and `\c` for any other `c`;
/// a literal CR or CR LF becomes LF, as in the reference implementation.
pub fn unescape_string(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('\r') => {
                    out.push('\n');
                    chars.next_if_eq(&'\n');
                }
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '\r' => {
                out.push('\n');
                chars.next_if_eq(&'\n');
            }
            c => out.push(c),
        }
    }
    out
}

/// A piece of an indented string as it stands in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndPiece<'a> {
    /// The raw text of a `STRING_CONTENT` token, escapes undecoded.
    Text(&'a str),
    /// An interpolation `${...}`.
    Interpolation,
}

/// A piece of an indented string's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cooked {
    /// Literal text.
    Text(String),
    /// The interpolation at this place.
    Interpolation,
}

/// The pieces of an indented string's source text as the indentation rules see them.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
enum Sub {
    /// Plain text: its leading spaces are indentation.
    #[regex(r"([^$']|\$[^{']|'[^'$])+")]
    Text,
    #[regex(r"''\$|\$")]
    Dollar,
    #[token("'''")]
    Quotes,
    #[regex(r"''\\(.|\n)")]
    Escape,
    #[token("'")]
    Quote,
}

enum Piece {
    /// Text whose leading spaces count as indentation.
    Indentable(String),
    /// Text produced by an escape: never indentation.
    Fixed(String),
    Interpolation,
}

/// Applies the rules of indented strings to `pieces`: drops a first line of only spaces, finds
/// the smallest indentation of the non-blank lines, removes it from every line, and drops a last
/// line of only spaces. Escapes and interpolations are content, never indentation.
pub fn unindent(pieces: &[IndPiece<'_>]) -> Vec<String> {
    unindent_parts(pieces)
        .into_iter()
        .map(|c| match c {
            Cooked::Text(s) => s,
            Cooked::Interpolation => String::new(),
        })
        .collect()
}

/// As [`unindent`], keeping the places of the interpolations.
pub fn unindent_parts(pieces: &[IndPiece<'_>]) -> Vec<Cooked> {
    let mut split = Vec::new();
    for piece in pieces {
        match piece {
            IndPiece::Interpolation => split.push(Piece::Interpolation),
            IndPiece::Text(raw) => {
                let mut lex = Sub::lexer(raw);
                while let Some(sub) = lex.next() {
                    let text = lex.slice();
                    split.push(match sub {
                        Ok(Sub::Text) | Err(()) => Piece::Indentable(text.to_string()),
                        Ok(Sub::Dollar) => Piece::Fixed("$".into()),
                        Ok(Sub::Quotes) => Piece::Fixed("''".into()),
                        Ok(Sub::Quote) => Piece::Fixed("'".into()),
                        Ok(Sub::Escape) => Piece::Fixed(unescape_string(&format!("\\{}", &text[3..]))),
                    });
                }
            }
        }
    }

    // The opening `''` swallows the rest of its line when that holds only spaces.
    if let Some(Piece::Indentable(first)) = split.first_mut() {
        let spaces = first.len() - first.trim_start_matches(' ').len();
        if first[spaces..].starts_with('\n') {
            first.drain(..=spaces);
        }
    }

    let mut min_indent = usize::MAX;
    let mut at_line_start = true;
    let mut indent = 0;
    for piece in &split {
        let Piece::Indentable(text) = piece else {
            if at_line_start {
                at_line_start = false;
                min_indent = min_indent.min(indent);
            }
            continue;
        };
        for b in text.bytes() {
            if at_line_start {
                match b {
                    b' ' => indent += 1,
                    b'\n' => indent = 0,
                    _ => {
                        at_line_start = false;
                        min_indent = min_indent.min(indent);
                    }
                }
            } else if b == b'\n' {
                at_line_start = true;
                indent = 0;
            }
        }
    }

    let mut out = Vec::with_capacity(split.len());
    let mut at_line_start = true;
    let mut dropped = 0;
    let count = split.len();
    for (i, piece) in split.into_iter().enumerate() {
        let text = match piece {
            Piece::Interpolation => {
                at_line_start = false;
                dropped = 0;
                out.push(Cooked::Interpolation);
                continue;
            }
            Piece::Fixed(text) => {
                at_line_start = false;
                dropped = 0;
                push_text(&mut out, &text);
                continue;
            }
            Piece::Indentable(text) => text,
        };
        let mut kept = String::with_capacity(text.len());
        for c in text.chars() {
            if at_line_start {
                match c {
                    ' ' => {
                        if dropped >= min_indent {
                            kept.push(c);
                        }
                        dropped += 1;
                    }
                    '\n' => {
                        dropped = 0;
                        kept.push(c);
                    }
                    _ => {
                        at_line_start = false;
                        dropped = 0;
                        kept.push(c);
                    }
                }
            } else {
                kept.push(c);
                if c == '\n' {
                    at_line_start = true;
                }
            }
        }
        if i + 1 == count {
            if let Some(nl) = kept.rfind('\n') {
                if kept[nl + 1..].bytes().all(|b| b == b' ') {
                    kept.truncate(nl + 1);
                }
            }
        }
        push_text(&mut out, &kept);
    }
    out
}

fn push_text(out: &mut Vec<Cooked>, text: &str) {
    if let Some(Cooked::Text(last)) = out.last_mut() {
        last.push_str(text);
    } else {
        out.push(Cooked::Text(text.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(raw: &str) -> String {
        unindent(&[IndPiece::Text(raw)]).concat()
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape_string(r"a\nb\t\$\{\\\q"), "a\nb\t${\\q");
        assert_eq!(unescape_string("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn indentation() {
        assert_eq!(ind("\n    foo\n      bar\n    "), "foo\n  bar\n");
        assert_eq!(ind("  \n  a\n\n  b"), "a\n\nb");
        assert_eq!(ind("''$x ''' ''\\n"), "$x '' \n");
        assert_eq!(ind("x"), "x");
        // An escape at the start of a line is content, so that line has indentation 0... of its
        // own two spaces only.
        assert_eq!(ind("\n  ''\\tA\n    B\n"), "\tA\n  B\n");
    }

    #[test]
    fn interpolations_are_content() {
        let parts = unindent_parts(&[IndPiece::Text("\n  a "), IndPiece::Interpolation, IndPiece::Text("\n  b\n")]);
        assert_eq!(parts, vec![
            Cooked::Text("a ".into()),
            Cooked::Interpolation,
            Cooked::Text("\nb\n".into())
        ]);
    }
}
