//! Helpers shared by the end-to-end test files (each test file is its own crate and includes
//! this module with `mod common;`, using what it needs).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// One run of `lixc`: where it ran, its exit code and its output.
pub struct Run {
    pub dir: PathBuf,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run that `out` reports, made in `dir`.
    pub fn from_output(dir: &Path, out: Output) -> Run {
        Run {
            dir: dir.to_path_buf(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Exit code, stdout and stderr as one text for a snapshot; the test directory's path is
    /// shown as `$DIR`.
    pub fn render(&self) -> String {
        let text = format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr);
        text.replace(&self.dir.display().to_string(), "$DIR")
    }
}

/// A fresh scratch directory `lixc-GROUP-NAME-PID` holding `files` (path, contents).
pub fn tree<C: AsRef<[u8]>>(group: &str, name: &str, files: &[(&str, C)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lixc-{group}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    dir
}

/// A fresh scratch directory `lixc-NAME-PID-TAG` holding `src/a.txt` (executable),
/// `src/sub/b.txt` and `src/c.log`: sources for adding paths to the store.
pub fn source_tree(name: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lixc-{name}-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src/sub")).expect("mkdir");
    std::fs::write(dir.join("src/a.txt"), "hello\n").expect("write");
    std::fs::set_permissions(dir.join("src/a.txt"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(dir.join("src/sub/b.txt"), "keep\n").expect("write");
    std::fs::write(dir.join("src/c.log"), "drop\n").expect("write");
    dir
}

/// A small deterministic generator (xorshift), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
