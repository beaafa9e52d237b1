//! Any bytes, read as a Nix file under either edition and evaluated deeply, end in a value or
//! an evaluation error, never a panic. The program sees no file system, no environment and no
//! store, and calls nest at most 2 000 deep, so inputs stay small and fast. Half the inputs run
//! with the collector's stress mode on.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use lix_editions::Edition;
use lix_vm::io::FileType;
use lix_vm::{EvalConfig, EvalIO, Vm};

/// An `EvalIO` with nothing in it: every file is missing, every variable unset.
struct NoIO;

impl EvalIO for NoIO {
    fn read_file(&self, path: &str) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::NotFound, path.to_string()))
    }

    fn path_exists(&self, _path: &str) -> bool {
        false
    }

    fn file_type(&self, path: &str) -> io::Result<FileType> {
        Err(io::Error::new(io::ErrorKind::NotFound, path.to_string()))
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<(String, FileType)>> {
        Err(io::Error::new(io::ErrorKind::NotFound, path.to_string()))
    }

    fn get_env(&self, _name: &str) -> Option<String> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the edition (bit 0) and the collector's stress mode (bit 1: a
    // collection at every safe point, freed slots poisoned, so a value that native code did
    // not root panics when it is read); the rest is the program.
    let Some((&first, rest)) = data.split_first() else { return };
    let edition = if first & 1 == 0 { Edition::E2024 } else { Edition::E2026 };
    let text = lix_syntax_text(rest);
    let config = EvalConfig { max_call_depth: 2_000, default_edition: edition, ..EvalConfig::default() };
    let mut vm = Vm::new(Box::new(NoIO), config);
    vm.heap.stress = first & 2 != 0;
    if let Ok(v) = vm.eval_source("/fuzz/input.nix", &text, "/fuzz") {
        if let Ok(v) = vm.force_deep(v) {
            let _ = vm.print_value(v);
        }
    }
});

/// Source bytes as the loader takes them (invalid UTF-8 replaced; the parser's own fuzz target
/// covers raw bytes).
fn lix_syntax_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
