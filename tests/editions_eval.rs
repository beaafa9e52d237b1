//! The evaluation suite of edition 2026's syntax (`tests/editions`): pipes, container inherits,
//! `dbg`, `langVersion`, the removals, and files of both editions importing each other.
//!
//! `eval-okay-NAME.nix` must evaluate (`lixc eval --strict`) to `NAME.exp`, with standard error
//! equal to `NAME.err.exp` (empty when there is none); `eval-fail-NAME.nix` must exit 1 with
//! standard error equal to `NAME.err.exp`. The suite's directory is written `/pwd` in outputs.
//! `LIXC_EDITIONS_BLESS=1` writes the expected files from the current outputs (review them).

use std::path::Path;
use std::process::Command;

#[test]
fn editions_eval_suite() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/editions");
    let bless = std::env::var("LIXC_EDITIONS_BLESS").is_ok_and(|v| v == "1");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/editions")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".nix")).map(str::to_string))
        .filter(|n| n.starts_with("eval-okay-") || n.starts_with("eval-fail-"))
        .collect();
    names.sort();
    let (mut passed, mut failures) = (0, Vec::new());
    for name in &names {
        let okay = name.starts_with("eval-okay-");
        let output = Command::new(env!("CARGO_BIN_EXE_lixc"))
            .args(["eval", "--strict", &format!("{name}.nix")])
            .current_dir(&dir)
            .env_remove("NIX_PATH")
            .output()
            .expect("run lixc");
        let pwd = dir.display().to_string();
        let stdout = String::from_utf8_lossy(&output.stdout).replace(&pwd, "/pwd");
        let stderr = String::from_utf8_lossy(&output.stderr).replace(&pwd, "/pwd");
        let (exp, err_exp) = (dir.join(format!("{name}.exp")), dir.join(format!("{name}.err.exp")));
        if bless {
            if okay {
                std::fs::write(&exp, &stdout).expect("write .exp");
            }
            if okay && stderr.is_empty() {
                let _ = std::fs::remove_file(&err_exp);
            } else {
                std::fs::write(&err_exp, &stderr).expect("write .err.exp");
            }
        }
        let expected_stdout = std::fs::read_to_string(&exp).unwrap_or_default();
        let expected_stderr = std::fs::read_to_string(&err_exp).unwrap_or_default();
        let code = output.status.code();
        let ok = if okay {
            code == Some(0) && stdout == expected_stdout && stderr == expected_stderr
        } else {
            code == Some(1) && stderr == expected_stderr && dir.join(format!("{name}.err.exp")).exists()
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{name}: exit {code:?}\n--- stdout\n{stdout}--- stderr\n{stderr}"));
        }
    }
    assert!(names.len() >= 40, "the suite has only {} tests", names.len());
    assert!(failures.is_empty(), "{passed} of {} passed; failures:\n{}", names.len(), failures.join("\n"));
}
