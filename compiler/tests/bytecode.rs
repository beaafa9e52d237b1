//! Bytecode listings of small programs, as insta snapshots: one `test_data/*.nix` file each.

use lix_compiler::compile;
use lix_editions::Edition;
use lix_hir::lower::{lower, LowerConfig};

#[test]
fn bytecode_listings() {
    insta::glob!("../test_data", "*.nix", |path| {
        let text = std::fs::read_to_string(path).expect("test file is readable");
        let parse = lix_syntax::parse(&text);
        assert!(parse.is_ok(), "{}: {:?}", path.display(), parse.errors());
        let config = LowerConfig { edition: Edition::E2024, base_dir: "/test".into(), home: None };
        let lowered = lower(&parse.root(), &config);
        assert!(lowered.errors.is_empty(), "{:?}", lowered.errors);
        let compiled = compile(&lowered.body, &|_| "…".into());
        insta::assert_snapshot!(compiled.dump());
    });
}
