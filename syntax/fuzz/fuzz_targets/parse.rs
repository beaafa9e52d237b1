//! Fuzzes `lix_syntax::parse`: whatever the input bytes, the parser returns (never panics), the
//! tree holds every byte of the input, and every error range lies within it on character boundaries.
//!
//! Run from `syntax/fuzz` (stable toolchains need `RUSTC_BOOTSTRAP=1` for the sanitizer flags),
//! with the conformance suite as seeds:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run parse corpus/parse ../../../shared/conformance/nix/lang -- -max_total_time=60`

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes that are not UTF-8 are read as the CLI reads them (see `lix_syntax::source`).
    let Ok(text) = lix_syntax::source::decode(data) else { return };
    let src: &str = &text;
    let parse = lix_syntax::parse(src);
    let root = parse.syntax();
    assert_eq!(root.to_string(), src, "the tree must be lossless");
    assert_eq!(&*lix_syntax::source::encode(&root.to_string()), data, "the bytes must round-trip");
    assert_eq!(usize::from(root.text_range().end()), src.len());
    let in_bounds = |range: &std::ops::Range<u32>| {
        let (start, end) = (range.start as usize, range.end as usize);
        start <= end && end <= src.len() && src.is_char_boundary(start) && src.is_char_boundary(end)
    };
    for error in parse.errors() {
        assert!(in_bounds(&error.range), "error range {:?} not within 0..{}: {error}", error.range, src.len());
        for (range, note) in &error.notes {
            assert!(in_bounds(range), "note range {range:?} not within 0..{}: {note}", src.len());
        }
    }
    // Free the tree before the `Parse`, as the crate asks for deep trees.
    drop(root);
});
