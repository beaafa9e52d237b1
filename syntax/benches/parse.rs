//! Parse throughput (MB/s): the lexer alone, `lix_syntax::parse`, and `rnix::Root::parse` side by
//! side, over the conformance suite and the evaluator benchmarks, and over one large generated
//! file.
//!
//! The corpus is many small files and concatenated Nix is not Nix, so one iteration parses every
//! file of the corpus once. Where the corpus lives: `$LIXC_CONFORMANCE_DIR` (else
//! `../shared/conformance` beside the workspace) and `../shared/bench`. When neither is found, a
//! note is printed and a generated corpus stands in: the benchmark never fails for want of data.
//!
//! Run with `cargo bench -p lix-syntax --bench parse -- --warm-up-time 2 --measurement-time 5`.

use std::hint::black_box;
use std::path::{Path, PathBuf};

#[path = "common/generated.rs"]
mod generated;

use generated::generated_file;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The conformance suite: `$LIXC_CONFORMANCE_DIR`, else `../shared/conformance` from the root.
fn conformance_dir() -> PathBuf {
    match std::env::var_os("LIXC_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/conformance"),
    }
}

/// The evaluator benchmarks: `../shared/bench` from the root.
fn bench_programs_dir() -> PathBuf {
    workspace_root().join("../shared/bench")
}

/// Every `.nix` file under `dir`, recursively, in a stable order. Unreadable entries and files
/// that are not UTF-8 are skipped (`binary-data` and friends in the conformance suite).
fn nix_files(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            nix_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "nix") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path, text));
            }
        }
    }
}

/// A stand-in for the corpus when it is missing: generated files of assorted sizes.
fn generated_corpus() -> Vec<(PathBuf, String)> {
    (0..64).map(|i| (PathBuf::from(format!("generated-{i}.nix")), generated_file(256 << (i % 6)))).collect()
}

/// The corpus, with a note on stderr about where it came from.
fn corpus() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for dir in [conformance_dir(), bench_programs_dir()] {
        let before = files.len();
        nix_files(&dir, &mut files);
        if files.len() == before {
            eprintln!("note: no .nix files under {}", dir.display());
        }
    }
    if files.is_empty() {
        eprintln!("note: corpus not found; benchmarking a generated corpus instead");
        files = generated_corpus();
    }
    let bytes: usize = files.iter().map(|(_, text)| text.len()).sum();
    eprintln!("corpus: {} files, {bytes} bytes", files.len());
    files
}

/// Lexer, lix parser and rnix parser over `files`, one iteration parsing each file once.
fn bench_group(c: &mut Criterion, name: &str, files: &[&str], samples: usize) {
    let bytes: usize = files.iter().map(|text| text.len()).sum();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(samples);
    group.bench_function(BenchmarkId::new("lix-lex", files.len()), |b| {
        b.iter(|| {
            for text in files {
                black_box(lix_syntax::lexer::lex(black_box(text)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("lix-parse", files.len()), |b| {
        b.iter(|| {
            for text in files {
                black_box(lix_syntax::parse(black_box(text)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("rnix-parse", files.len()), |b| {
        b.iter(|| {
            for text in files {
                black_box(rnix::Root::parse(black_box(text)));
            }
        })
    });
    group.finish();
}

fn parse_benches(c: &mut Criterion) {
    let files = corpus();
    let texts: Vec<&str> = files.iter().map(|(_, text)| text.as_str()).collect();
    bench_group(c, "corpus", &texts, 100);

    // One large file: per-file costs vanish and what remains is the cost per byte.
    let large = generated_file(1 << 20);
    // A parse of it takes about 0.1 s: fewer samples keep the run within its measurement time.
    bench_group(c, "generated-1MiB", &[large.as_str()], 20);
}

criterion_group!(benches, parse_benches);
criterion_main!(benches);
