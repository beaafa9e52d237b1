//! Source bytes to text and back. Nix files are bytes: a string literal may hold bytes that are
//! not UTF-8, and the reference implementation accepts them. The syntax tree holds text, so each
//! byte that is not part of valid UTF-8 is carried as one character of a private-use range
//! ([`RAW_BYTE_BASE`] + byte) and turned back into the same byte by [`encode`].

use std::borrow::Cow;

/// The character that stands for raw byte 0x00; byte `b` is `RAW_BYTE_BASE + b`. The last 256
/// code points of Supplementary Private Use Area-B.
pub const RAW_BYTE_BASE: u32 = 0x10_FF00;

/// Why source bytes cannot be read as text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the file mixes invalid UTF-8 with the private-use characters U+10FF00..U+10FFFF at byte {offset}, so it cannot be read losslessly")]
pub struct AmbiguousSource {
    /// Byte offset of the first such character.
    pub offset: usize,
}

/// Text for `bytes`: the bytes themselves when they are UTF-8, otherwise with each invalid byte
/// replaced by its stand-in character.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, AmbiguousSource> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 16);
            for chunk in bytes.utf8_chunks() {
                let valid = chunk.valid();
                if let Some((i, _)) = valid.char_indices().find(|(_, c)| is_raw_byte(*c)) {
                    let offset = out.len() + i;
                    return Err(AmbiguousSource { offset });
                }
                out.push_str(valid);
                for &b in chunk.invalid() {
                    out.push(raw_byte_char(b));
                }
            }
            Ok(Cow::Owned(out))
        }
    }
}

/// The bytes that `text` (from [`decode`]) stands for.
pub fn encode(text: &str) -> Cow<'_, [u8]> {
    if !text.chars().any(is_raw_byte) {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        match raw_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// The raw byte that `c` stands for, if it is a stand-in.
pub fn raw_byte(c: char) -> Option<u8> {
    let code = c as u32;
    (code >= RAW_BYTE_BASE).then(|| (code - RAW_BYTE_BASE) as u8)
}

fn is_raw_byte(c: char) -> bool {
    c as u32 >= RAW_BYTE_BASE
}

fn raw_byte_char(b: u8) -> char {
    char::from_u32(RAW_BYTE_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_invalid_bytes() {
        let bytes = b"\"a \xff\xfe b\" \xc3\xa9 \xc3";
        let text = decode(bytes).unwrap();
        assert!(matches!(text, Cow::Owned(_)));
        assert_eq!(&*encode(&text), bytes);
        let parse = crate::parse(&text);
        assert_eq!(&*encode(&parse.syntax().to_string()), bytes);
    }

    #[test]
    fn valid_text_is_borrowed() {
        assert!(matches!(decode("é".as_bytes()).unwrap(), Cow::Borrowed("é")));
        assert!(matches!(encode("é"), Cow::Borrowed(_)));
    }

    #[test]
    fn ambiguous_input_is_refused() {
        let mut bytes = "\u{10FF41}".as_bytes().to_vec();
        bytes.push(0xff);
        assert_eq!(decode(&bytes), Err(AmbiguousSource { offset: 0 }));
    }
}
