//! Bad input is a clear error, never a panic: corrupt `.drv` files, inconsistent derivations,
//! dependency cycles. (Malformed NARs and store paths are covered by the unit tests beside the
//! code.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use lix_store::content_address::{ContentAddress, FileIngestionMethod};
use lix_store::derivation::NoDerivations;
use lix_store::{
    Derivation, DerivationOutput, DrvHashes, Error, Hash, HashAlgo, StoreDir, StorePath,
};

fn golden(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.drv"));
    std::fs::read(p).expect("golden .drv")
}

fn parse(text: &[u8]) -> Result<Derivation, Error> {
    Derivation::from_aterm(&StoreDir::default(), "dep", text)
}

#[test]
fn every_truncation_of_a_drv_is_an_error() {
    let text = golden("dep");
    assert!(parse(&text).is_ok());
    for cut in 0..text.len() {
        assert!(parse(&text[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn corrupt_drvs_are_rejected_with_a_reason() {
    let text = String::from_utf8(golden("dep")).expect("utf-8");
    let cases: &[(&str, String)] = &[
        ("trailing bytes", format!("{text}\n")),
        (
            "expected 'Derive('",
            text.replacen("Derive(", "DrvWithVersion(", 1),
        ),
        (
            "invalid store path",
            text.replacen(
                "/nix/store/3ghsl9sd83mc26i81adpa2fzf3yw4f68-simple.drv",
                "/tmp/x.drv",
                1,
            ),
        ),
        (
            "not in the store directory",
            text.replacen("/nix/store/c1l3", "/gnu/store/c1l3", 1),
        ),
        (
            "expected ','",
            text.replacen("\"dev\",\"lib\"", "\"dev\" \"lib\"", 1),
        ),
        ("unterminated string", text[..text.len() - 4].to_owned()),
    ];
    for (expected, bad) in cases {
        let err = parse(bad.as_bytes()).expect_err(expected).to_string();
        assert!(err.contains(expected), "expected '{expected}' in: {err}");
    }
}

#[test]
fn fixed_output_path_must_match_its_hash() {
    let text = String::from_utf8(golden("fod-flat")).expect("utf-8");
    let good = Derivation::from_aterm(&StoreDir::default(), "fod-flat", text.as_bytes());
    assert!(good.is_ok());
    let bad = text.replacen("98ea6e4f", "08ea6e4f", 1);
    let err = Derivation::from_aterm(&StoreDir::default(), "fod-flat", bad.as_bytes())
        .expect_err("mismatch");
    assert!(err.to_string().contains("but its hash gives"), "{err}");
    let bad = text.replacen("\"sha256\"", "\"sha257\"", 1);
    let err =
        Derivation::from_aterm(&StoreDir::default(), "fod-flat", bad.as_bytes()).expect_err("algo");
    assert!(err.to_string().contains("unknown hash algorithm"), "{err}");
}

fn fixed_output() -> DerivationOutput {
    DerivationOutput::Fixed(ContentAddress {
        method: FileIngestionMethod::Flat,
        hash: Hash::digest(HashAlgo::Sha256, b""),
    })
}

#[test]
fn inconsistent_outputs_are_rejected() {
    let dir = StoreDir::default();
    let mut hashes = DrvHashes::new();
    let mixed = Derivation {
        name: "mixed".into(),
        outputs: BTreeMap::from([
            ("out".into(), fixed_output()),
            ("dev".into(), DerivationOutput::Deferred),
        ]),
        ..Derivation::default()
    };
    let err = mixed
        .clone()
        .compute_output_paths(&dir, &mut hashes, &NoDerivations)
        .expect_err("mixed");
    assert!(
        err.to_string()
            .contains("mixes fixed-output and input-addressed"),
        "{err}"
    );

    let renamed = Derivation {
        name: "renamed".into(),
        outputs: BTreeMap::from([("bin".into(), fixed_output())]),
        ..Derivation::default()
    };
    let err = renamed
        .clone()
        .compute_output_paths(&dir, &mut hashes, &NoDerivations)
        .expect_err("name");
    assert!(err.to_string().contains("must be named 'out'"), "{err}");

    let floating = Derivation {
        name: "floating".into(),
        outputs: BTreeMap::from([(
            "out".into(),
            DerivationOutput::Floating {
                method: FileIngestionMethod::Recursive,
                algo: HashAlgo::Sha256,
            },
        )]),
        ..Derivation::default()
    };
    assert!(floating
        .hash_modulo(&dir, true, &mut hashes, &NoDerivations)
        .is_err());

    let none = Derivation {
        name: "none".into(),
        ..Derivation::default()
    };
    assert!(none
        .clone()
        .compute_output_paths(&dir, &mut hashes, &NoDerivations)
        .is_err());

    let bad_name = Derivation {
        name: "bad name".into(),
        outputs: BTreeMap::from([("out".into(), DerivationOutput::Deferred)]),
        ..Derivation::default()
    };
    let err = bad_name
        .clone()
        .compute_output_paths(&dir, &mut hashes, &NoDerivations)
        .expect_err("name");
    assert!(err.to_string().contains("illegal character ' '"), "{err}");
}

#[test]
fn dependency_cycles_are_an_error_not_a_hang() {
    let dir = StoreDir::default();
    let a = dir
        .parse("/nix/store/00000000000000000000000000000000-a.drv")
        .expect("path");
    let b = dir
        .parse("/nix/store/11111111111111111111111111111111-b.drv")
        .expect("path");
    let node = |name: &str, input: &StorePath| Derivation {
        name: name.into(),
        outputs: BTreeMap::from([("out".into(), DerivationOutput::Deferred)]),
        input_drvs: BTreeMap::from([(input.clone(), BTreeSet::from(["out".to_owned()]))]),
        ..Derivation::default()
    };
    let source = BTreeMap::from([(a.clone(), node("a", &b)), (b.clone(), node("b", &a))]);
    let err = node("top", &a)
        .hash_modulo(&dir, true, &mut DrvHashes::new(), &source)
        .expect_err("cycle");
    assert!(err.to_string().contains("depends on itself"), "{err}");
}

#[test]
fn using_a_missing_output_of_a_fixed_output_input_is_an_error() {
    let dir = StoreDir::default();
    let fod_path = dir
        .parse("/nix/store/az4gnybkw1z07zxsjvwl99z3snhbglnb-fod-flat.drv")
        .expect("path");
    let fod = Derivation::from_aterm(&dir, "fod-flat", &golden("fod-flat")).expect("parses");
    let source = BTreeMap::from([(fod_path.clone(), fod)]);
    let user = Derivation {
        name: "user".into(),
        outputs: BTreeMap::from([("out".into(), DerivationOutput::Deferred)]),
        input_drvs: BTreeMap::from([(fod_path, BTreeSet::from(["dev".to_owned()]))]),
        ..Derivation::default()
    };
    let err = user
        .hash_modulo(&dir, true, &mut DrvHashes::new(), &source)
        .expect_err("no such output");
    assert!(err.to_string().contains("has no such output"), "{err}");
}
