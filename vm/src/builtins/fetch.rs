//! Fetchers: `fetchurl`, `fetchTarball`, `fetchGit` and `fetchTree`. Arguments are checked
//! here (names, negative numbers, unknown attributes); the fetching itself is the store's,
//! through `EvalIO::fetch_url` / `fetch_git` (lixc fetches `file://` URLs and local git
//! repositories; other URLs are a clear error).

use super::{expect_string_no_ctx, lossy, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::io::Fetched;
use crate::ops::Coercion;
use crate::value::{Attrs, Value};
use crate::Vm;

fn other(message: impl Into<String>) -> EvalError {
    EvalError::new(ErrorKind::Other, message)
}

/// What is wrong with `name` as a store path name, as CppNix says it.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("name must not be empty".to_string());
    }
    if name.len() > 211 {
        return Some(format!("name '{name}' must be no longer than 211 characters"));
    }
    let bad = name.chars().find(|&c| !(c.is_ascii_alphanumeric() || "+-._?=".contains(c)))?;
    Some(format!("name '{name}' contains illegal character '{bad}'"))
}

/// A string argument without context, as text.
fn text(vm: &mut Vm, v: Value, what: impl Fn() -> String) -> EvalResult<String> {
    Ok(lossy(&expect_string_no_ctx(vm, v).trace(&what)?))
}

/// A URL or path argument: strings and paths (paths are not copied to the store).
fn url_text(vm: &mut Vm, v: Value, what: impl Fn() -> String) -> EvalResult<String> {
    let (s, _) = vm.coerce_to_string(v, Coercion::Interpolation, false).trace(&what)?;
    Ok(lossy(&s))
}

/// The part after the last `/`.
fn base_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// The store path as a string whose context is itself.
fn store_string(vm: &mut Vm, path: &str) -> Value {
    vm.new_string_ctx(path.as_bytes().to_vec(), vec![path.into()])
}

/// `fetchurl` and `fetchTarball`: a URL, or `{ url; name ? …; sha256 ? …; }`.
fn fetch(vm: &mut Vm, arg: Value, who: &str, unpack: bool, default_name: &str) -> EvalResult<Value> {
    let v = vm.force(arg)?;
    let mut url = None;
    let mut name = None;
    let mut expected = None;
    let is_attrs = matches!(v, Value::Attrs(_));
    if let Value::Attrs(g) = v {
        for (sym, value) in vm.heap.attrs(g).entries.clone() {
            let key = lossy(vm.symbols.name(sym));
            match key.as_str() {
                "url" => url = Some(url_text(vm, value, || format!("while evaluating the url we should fetch ('{who}')"))?),
                "name" => name = Some(text(vm, value, || format!("while evaluating the name of the content we should fetch ('{who}')"))?),
                "sha256" => expected = Some(text(vm, value, || format!("while evaluating the sha256 of the content we should fetch ('{who}')"))?),
                _ => return Err(other(format!("unsupported argument '{key}' to '{who}'"))),
            }
        }
    } else {
        url = Some(url_text(vm, v, || format!("while evaluating the url we should fetch ('{who}')"))?);
    }
    let Some(url) = url else {
        return Err(other(format!("'url' argument required ('{who}')")));
    };
    let given_name = name.is_some();
    let name = name.unwrap_or_else(|| {
        if default_name.is_empty() { base_name(&url).to_string() } else { default_name.to_string() }
    });
    if let Some(problem) = name_problem(&name) {
        let hint = if !is_attrs {
            format!("Please pass an attribute set with 'url' and 'name' attributes to '{who}',  so that it can create a valid store path.")
        } else if !given_name {
            format!("Please add a valid 'name' attribute to the argument for '{who}', so that it can create a valid store path.")
        } else {
            format!("Please change the value for the 'name' attribute passed to '{who}', so that it can create a valid store path.")
        };
        return Err(other(format!("invalid store path name when fetching URL '{url}': {problem}. {hint}")));
    }
    let fetched = vm.io.fetch_url(&url, &name, unpack, expected.as_deref()).map_err(other)?;
    Ok(store_string(vm, &fetched.path))
}

/// `fetchurl url` or `fetchurl { url; name ? baseNameOf url; sha256 ? …; }`: the file at `url`,
/// stored flat. O(size of the file).
pub(super) fn fetchurl(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    fetch(vm, a[0], "fetchurl", false, "")
}

/// `fetchTarball url` or `fetchTarball { url; name ? "source"; sha256 ? …; }`: the tarball's
/// single top-level directory, stored by NAR hash. O(size of the tarball).
pub(super) fn fetch_tarball(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    fetch(vm, a[0], "fetchTarball", true, "source")
}

/// `YYYYMMDDhhmmss` (UTC) of a Unix time, as `lastModifiedDate`.
fn date_string(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// A set from `(name, value)` pairs.
fn attrs(vm: &mut Vm, entries: Vec<(&str, Value)>) -> Value {
    let entries = entries.into_iter().map(|(k, v)| (vm.intern(k.as_bytes()), v)).collect();
    vm.new_attrs(Attrs::from_unsorted(entries))
}

/// The result set of a git fetch.
fn git_result(vm: &mut Vm, g: &crate::io::GitFetched, with_submodules: bool) -> Value {
    let out = store_string(vm, &g.fetched.path);
    let nar = vm.new_string(g.fetched.nar_hash.as_bytes().to_vec());
    let rev = vm.new_string(g.rev.as_bytes().to_vec());
    let short = vm.new_string(g.rev.get(..7).unwrap_or(&g.rev).as_bytes().to_vec());
    let date = vm.new_string(date_string(g.last_modified).into_bytes());
    let mut entries = vec![
        ("outPath", out),
        ("narHash", nar),
        ("rev", rev),
        ("shortRev", short),
        ("revCount", Value::Int(g.rev_count as i64)),
        ("lastModified", Value::Int(g.last_modified)),
        ("lastModifiedDate", date),
    ];
    if with_submodules {
        entries.push(("submodules", Value::Bool(false)));
    }
    attrs(vm, entries)
}

/// `fetchGit url` or `fetchGit { url; name ? "source"; rev ? …; ref ? …; }`: a revision of a
/// local git repository, exported with `git`. O(size of the tree).
pub(super) fn fetch_git(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    let mut url = None;
    let mut name = "source".to_string();
    let mut rev = None;
    let mut git_ref = None;
    if let Value::Attrs(g) = v {
        for (sym, value) in vm.heap.attrs(g).entries.clone() {
            let key = lossy(vm.symbols.name(sym));
            let what = || format!("while evaluating the '{key}' attribute passed to builtins.fetchGit");
            match key.as_str() {
                "url" => url = Some(url_text(vm, value, what)?),
                "name" => name = text(vm, value, what)?,
                "rev" => rev = Some(text(vm, value, what)?),
                "ref" => git_ref = Some(text(vm, value, what)?),
                "submodules" => {
                    if vm.expect_bool(value).trace(what)? {
                        return Err(other("fetchGit: submodules are not supported by lixc yet"));
                    }
                }
                "shallow" | "allRefs" => {
                    vm.expect_bool(value).trace(what)?;
                }
                _ => return Err(other(format!("unsupported argument '{key}' to 'fetchGit'"))),
            }
        }
    } else {
        url = Some(url_text(vm, v, || "while evaluating the argument passed to builtins.fetchGit".to_string())?);
    }
    let Some(url) = url else {
        return Err(other("'url' argument required ('fetchGit')"));
    };
    if let Some(problem) = name_problem(&name) {
        return Err(other(format!("invalid store path name: {problem}")));
    }
    let fetched = vm.io.fetch_git(&url, &name, rev.as_deref(), git_ref.as_deref()).map_err(other)?;
    Ok(git_result(vm, &fetched, true))
}

/// What `fetchTree` was asked for.
enum Input {
    File { url: String, unpack: bool },
    Git { url: String, rev: Option<String>, git_ref: Option<String> },
    Path { path: String },
}

/// `fetchTree input`: `{ type = "file" | "tarball" | "git" | "path"; … }` or a URL string
/// (`file:`, `git+file:`, `path:`). O(size of what is fetched).
pub(super) fn fetch_tree(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let v = vm.force(a[0])?;
    let (input, shown) = match v {
        Value::Attrs(g) => {
            let entries = vm.heap.attrs(g).entries.clone();
            let mut fields = Vec::new();
            for (sym, value) in entries {
                let key = lossy(vm.symbols.name(sym));
                let value = vm.force(value)?;
                if let Value::Int(n) = value {
                    if n < 0 {
                        return Err(other(format!("negative value given for 'fetchTree' argument '{key}': {n}")));
                    }
                }
                fields.push((key, value));
            }
            let get = |vm: &mut Vm, name: &str| -> EvalResult<Option<String>> {
                match fields.iter().find(|(k, _)| k == name) {
                    Some((_, v)) => Ok(Some(url_text(vm, *v, || format!("while evaluating the '{name}' attribute passed to builtins.fetchTree"))?)),
                    None => Ok(None),
                }
            };
            let Some(ty) = get(vm, "type")? else {
                return Err(other("attribute 'type' is missing in call to 'fetchTree'"));
            };
            let input = match ty.as_str() {
                "file" | "tarball" => {
                    let url = get(vm, "url")?.ok_or_else(|| other("attribute 'url' is missing in call to 'fetchTree'"))?;
                    Input::File { url, unpack: ty == "tarball" }
                }
                "git" => {
                    let url = get(vm, "url")?.ok_or_else(|| other("attribute 'url' is missing in call to 'fetchTree'"))?;
                    Input::Git { url, rev: get(vm, "rev")?, git_ref: get(vm, "ref")? }
                }
                "path" => {
                    let path = get(vm, "path")?.ok_or_else(|| other("attribute 'path' is missing in call to 'fetchTree'"))?;
                    Input::Path { path }
                }
                other_type => return Err(other(format!("input type '{other_type}' is not supported by lixc"))),
            };
            let shown = match &input {
                Input::File { url, .. } | Input::Git { url, .. } => url.clone(),
                Input::Path { path } => format!("path:{path}"),
            };
            (input, shown)
        }
        _ => {
            let url = url_text(vm, v, || "while evaluating the argument passed to builtins.fetchTree".to_string())?;
            let input = if let Some(rest) = url.strip_prefix("git+") {
                Input::Git { url: rest.to_string(), rev: None, git_ref: None }
            } else if let Some(path) = url.strip_prefix("path:") {
                Input::Path { path: path.to_string() }
            } else if url.contains(':') {
                let archive = [".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst"];
                Input::File { unpack: archive.iter().any(|e| url.ends_with(e)), url: url.clone() }
            } else {
                return Err(other(format!("'{url}' is not a URL or a flake reference lixc understands")));
            };
            (input, url)
        }
    };
    let result = (|| match input {
        Input::File { url, unpack } => {
            let name = if unpack { "source".to_string() } else { base_name(&url).to_string() };
            let name = if name_problem(&name).is_some() { "source".to_string() } else { name };
            let f = vm.io.fetch_url(&url, &name, unpack, None).map_err(other)?;
            Ok(tree_result(vm, &f))
        }
        Input::Git { url, rev, git_ref } => {
            let g = vm.io.fetch_git(&url, "source", rev.as_deref(), git_ref.as_deref()).map_err(other)?;
            Ok(git_result(vm, &g, true))
        }
        Input::Path { path } => {
            if !path.starts_with('/') {
                return Err(other(format!("path '{path}' in a 'path' input must be absolute")));
            }
            let (p, hash) = vm.io.add_path(&path, "source", true, None).map_err(other)?;
            let f = Fetched { path: p, nar_hash: sri_of_nix32(&hash) };
            let v = tree_result(vm, &f);
            let Some(t) = vm.io.last_modified(&path) else { return Ok(v) };
            let Value::Attrs(g) = v else { return Ok(v) };
            let mut entries = vm.heap.attrs(g).entries.clone();
            let date = vm.new_string(date_string(t).into_bytes());
            entries.push((vm.intern(b"lastModified"), Value::Int(t)));
            entries.push((vm.intern(b"lastModifiedDate"), date));
            Ok(vm.new_attrs(Attrs::from_unsorted(entries)))
        }
    })();
    result.trace(|| format!("while fetching the input '{shown}'"))
}

/// `sha256-<base64>` of a SHA-256 in Nix base 32 (the form `add_path` gives).
fn sri_of_nix32(h: &str) -> String {
    use base64::Engine as _;
    match super::hash::parse_hash(h, Some(super::hash::HashAlgo::Sha256)) {
        Ok((_, bytes)) => format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(bytes)),
        Err(_) => String::new(),
    }
}

fn tree_result(vm: &mut Vm, f: &Fetched) -> Value {
    let out = store_string(vm, &f.path);
    let nar = vm.new_string(f.nar_hash.as_bytes().to_vec());
    attrs(vm, vec![("outPath", out), ("narHash", nar)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_string(0), "19700101000000");
        assert_eq!(date_string(1_700_000_000), "20231114221320");
    }

    #[test]
    fn names() {
        assert_eq!(name_problem("~x").as_deref(), Some("name '~x' contains illegal character '~'"));
        assert_eq!(name_problem("ok-1.0"), None);
    }
}
