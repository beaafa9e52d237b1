//! Parses a corpus of `.nix` files in a loop so that `perf record` or `valgrind --tool=callgrind`
//! can see where the time goes.
//!
//! Usage: `lix-syntax-prof (lex|lix|rnix|check) ITERATIONS DIR_OR_FILE...` or
//! `lix-syntax-prof gen BYTES` (prints the benchmark's generated file). `check` parses each
//! file once with both parsers and reports files either of them rejects.

#[path = "../../../benches/common/generated.rs"]
mod generated;

use generated::generated_file;

use std::path::{Path, PathBuf};
use std::time::Instant;

fn nix_files(path: &Path, out: &mut Vec<String>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else { return };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            nix_files(&path, out);
        }
    } else if path.extension().is_some_and(|ext| ext == "nix") {
        if let Ok(text) = std::fs::read_to_string(path) {
            out.push(text);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "lix".into());
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    let mut files = Vec::new();
    for arg in args {
        nix_files(Path::new(&arg), &mut files);
    }
    if mode == "gen" {
        print!("{}", generated_file(iterations));
        return;
    }
    let bytes: usize = files.iter().map(String::len).sum();
    if mode == "check" {
        for text in &files {
            let lix = lix_syntax::parse(text);
            let rnix = rnix::Root::parse(text);
            if !lix.errors().is_empty() || !rnix.errors().is_empty() {
                let head: String = text.chars().take(60).collect();
                println!("lix {} errors, rnix {} errors: {head:?}", lix.errors().len(), rnix.errors().len());
            }
        }
        return;
    }
    let t = Instant::now();
    for _ in 0..iterations {
        for text in &files {
            match mode.as_str() {
                "lex" => drop(std::hint::black_box(lix_syntax::lexer::lex(text))),
                "rnix" => drop(std::hint::black_box(rnix::Root::parse(text))),
                _ => drop(std::hint::black_box(lix_syntax::parse(text))),
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{mode}: {} files, {bytes} bytes x {iterations}: {:.3}s, {:.1} MB/s",
        files.len(),
        secs,
        (bytes * iterations) as f64 / secs / 1e6
    );
}
