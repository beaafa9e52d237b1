//! Collects the doc comment of every builtin's native function (its description and cost) so
//! that `lixc doc builtins` can print them: `OUT_DIR/builtin_docs.rs` maps each function path of
//! the builtin table to its doc text.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn main() {
    let src = Path::new("src");
    let mut docs: BTreeMap<String, String> = BTreeMap::new();
    // A new file under `builtins/` must rerun this script too (a directory is watched whole).
    println!("cargo:rerun-if-changed={}", src.join("builtins").display());
    let mut files = vec![("".to_string(), src.join("builtins.rs"))];
    if let Ok(dir) = fs::read_dir(src.join("builtins")) {
        for entry in dir.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs") {
                let module = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                files.push((format!("{module}::"), path));
            }
        }
    }
    for (prefix, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let Ok(text) = fs::read_to_string(path) else { continue };
        let mut pending: Vec<String> = Vec::new();
        for line in text.lines() {
            let t = line.trim();
            if let Some(doc) = t.strip_prefix("///") {
                pending.push(doc.trim().to_string());
                continue;
            }
            if t.starts_with("#[") {
                continue;
            }
            let name = t
                .strip_prefix("pub(super) fn ")
                .or_else(|| t.strip_prefix("pub(crate) fn "))
                .or_else(|| t.strip_prefix("pub fn "))
                .or_else(|| t.strip_prefix("fn "))
                .and_then(|rest| rest.split(['(', '<']).next());
            if let Some(name) = name {
                if !pending.is_empty() {
                    docs.insert(format!("{prefix}{name}"), pending.join(" "));
                }
            }
            pending.clear();
        }
    }
    let mut out = String::from("/// Doc text of each builtin function, by its path in the builtin table.\npub static BUILTIN_DOCS: &[(&str, &str)] = &[\n");
    for (name, doc) in &docs {
        out.push_str(&format!("    ({name:?}, {doc:?}),\n"));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("builtin_docs.rs");
    let _ = fs::write(dest, out);
}
