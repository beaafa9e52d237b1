//! Snapshot tests of each pass (`test_data/migrate/<pass>/*.nix`: the pass alone on the file,
//! then the output or the refusal) and of whole migrations.

use super::*;

/// The snapshot text of one pass over one input.
fn run_one(pass: Pass, input: &str) -> String {
    match run_pass(pass, input, Some("file.nix")) {
        Ok(out) => {
            let reparsed = lix_syntax::parse(&out);
            let errors: Vec<String> = reparsed.errors().iter().map(|e| e.to_string()).collect();
            format!("{out}\n--- parse errors: {errors:?}")
        }
        Err(refusal) => {
            format!("refused at {:?} ({:?}): {}", refusal.range, &input[refusal.range.clone()], refusal.reason)
        }
    }
}

#[test]
fn passes() {
    let passes = [
        Pass::UrlLiterals,
        Pass::LegacyLet,
        Pass::OrIdentifier,
        Pass::CurPos,
        Pass::Globals,
        Pass::Pragma,
        Pass::Pipes,
        Pass::Inherits,
        Pass::LibPipe,
    ];
    for pass in passes {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/migrate").join(pass.name());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "nix"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no tests for the pass {pass}");
        for file in files {
            let input = std::fs::read_to_string(&file).unwrap();
            let name = format!("{}__{}", pass.name(), file.file_stem().unwrap().to_string_lossy());
            insta::with_settings!({ snapshot_path => "../../test_data/migrate/snapshots", prepend_module_to_snapshot => false, input_file => &file, description => input.clone() }, {
                insta::assert_snapshot!(name, run_one(pass, &input));
            });
        }
    }
}

fn options(from: Edition) -> MigrateOptions {
    MigrateOptions {
        from,
        to: Edition::E2026,
        modernize: Modernize { pipes: true, inherits: true, lib_pipe: true },
        file_name: Some("f.nix".into()),
    }
}

#[test]
fn whole_migration_is_idempotent_and_lossless() {
    let src = "# a comment that stays\nlet {\n  u = http://example.org/x; # and this one\n  body = map (x: u) [ a.x a.y ];\n  a = { x = 1; y = 2; };\n}\n";
    let once = migrate(src, &options(Edition::E2024)).unwrap();
    assert!(once.text.starts_with("# edition = \"2026\"\n# a comment that stays\n"), "{}", once.text);
    assert!(once.text.contains("# and this one"));
    assert!(once.text.contains("\"http://example.org/x\""));
    let twice = migrate(&once.text, &options(Edition::E2026)).unwrap();
    assert_eq!(twice.text, once.text);
    assert!(!twice.changed());
}

#[test]
fn refusals_leave_the_reason() {
    let err = migrate("with { dbg = 1; }; dbg", &options(Edition::E2024)).unwrap_err();
    assert!(matches!(err, MigrateError::Refused { pass: Pass::Globals, .. }), "{err}");
    let err = migrate("1 +", &options(Edition::E2024)).unwrap_err();
    assert!(matches!(err, MigrateError::Syntax { .. }), "{err}");
    let err = migrate("1 |> f", &options(Edition::E2024)).unwrap_err();
    assert!(matches!(err, MigrateError::Edition { .. }), "{err}");
    let down = MigrateOptions { from: Edition::E2026, to: Edition::E2024, ..options(Edition::E2026) };
    assert!(matches!(migrate("1", &down), Err(MigrateError::Downgrade { .. })));
}

#[test]
fn parser_test_data_never_panics_and_results_are_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../syntax/test_data/parser");
    let mut seen = 0;
    for sub in ["ok", "err"] {
        let Ok(entries) = std::fs::read_dir(root.join(sub)) else { continue };
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
            seen += 1;
            for from in [Edition::E2024, Edition::E2026] {
                if let Ok(m) = migrate(&text, &options(from)) {
                    let parse = lix_syntax::parse(&m.text);
                    assert!(parse.is_ok(), "{}: {:?}", entry.path().display(), parse.errors());
                    let again = migrate(&m.text, &options(Edition::E2026)).unwrap();
                    assert_eq!(again.text, m.text, "{}: not idempotent", entry.path().display());
                }
            }
        }
    }
    assert!(seen > 0);
}
