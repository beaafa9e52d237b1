//! Flake references as plain data: the URL-like form (`github:NixOS/nixpkgs/23.05?dir=lib`)
//! parsed into the attribute form (`{ type = "github"; owner = ...; }`) and printed back, for
//! `builtins.parseFlakeRef` and `builtins.flakeRefToString`. Nothing here fetches or touches
//! the file system: a reference is only taken apart and put together.

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{expect_string_no_ctx, nth_arg, TraceExt};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::Value;
use crate::Vm;

/// One attribute of a flake reference in attribute form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlakeAttr {
    /// A string (`owner`, `ref`, `url`, ...).
    Str(String),
    /// A non-negative integer (`revCount`, `lastModified`).
    Int(u64),
    /// A Boolean (`shallow`, `submodules`, ...).
    Bool(bool),
}

impl fmt::Display for FlakeAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlakeAttr::Str(s) => f.write_str(s),
            FlakeAttr::Int(i) => write!(f, "{i}"),
            // Booleans travel in URLs as `1` and `0`.
            FlakeAttr::Bool(b) => f.write_str(if *b { "1" } else { "0" }),
        }
    }
}

/// A flake reference in attribute form, names in order.
pub type FlakeAttrs = BTreeMap<String, FlakeAttr>;

/// Why a flake reference could not be read or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlakeRefError {
    /// Not a flake reference of any known form.
    #[error("'{0}' is not a valid flake reference")]
    Invalid(String),
    /// A relative path with no directory to resolve it against.
    #[error("flake reference '{0}' is not an absolute path")]
    NotAbsolute(String),
    /// A `#fragment` where no fragment may stand.
    #[error("unexpected fragment '{fragment}' in flake reference '{url}'")]
    Fragment {
        /// The fragment.
        fragment: String,
        /// The whole reference.
        url: String,
    },
    /// A URL with a scheme no input type handles.
    #[error("input '{0}' is unsupported")]
    UnsupportedUrl(String),
    /// An attribute that the input type does not take.
    #[error("unsupported {kind} input attribute '{name}'")]
    UnsupportedAttr {
        /// The input type.
        kind: String,
        /// The attribute.
        name: String,
    },
    /// An attribute of the wrong type or missing.
    #[error("{0}")]
    BadAttr(String),
    /// A reference naming the same thing twice (`/ref` and `?ref=`).
    #[error("URL '{url}' contains multiple {what}")]
    Multiple {
        /// The reference.
        url: String,
        /// `branch/tag names` or `commit hashes`.
        what: &'static str,
    },
}

type Result<T> = std::result::Result<T, FlakeRefError>;

/// What a query value may hold unescaped (besides letters and digits).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/').remove(b':').remove(b'@');
/// What a query name may hold unescaped.
const QUERY_NAME: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Extensions that make a plain `https:`/`file:` URL a tarball rather than a file.
const ARCHIVE_EXTENSIONS: [&str; 8] = [".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar.lz"];

/// Attributes that are Booleans in `git` and `hg` references (`1`/`0` in URLs).
const GIT_BOOLS: [&str; 6] = ["shallow", "submodules", "allRefs", "exportIgnore", "lfs", "verifyCommit"];
/// Attributes that are integers in every input type.
const INTS: [&str; 2] = ["revCount", "lastModified"];

/// A URL split into its parts (RFC 3986), with the query decoded into names and values.
struct Url {
    scheme: String,
    /// `//authority` included when present, then the path.
    rest: String,
    query: Vec<(String, String)>,
}

fn split_url(s: &str) -> Option<Url> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    if !chars.next()?.is_ascii_alphabetic() || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let after = &s[colon + 1..];
    let (rest, query) = match after.split_once('?') {
        Some((r, q)) => (r, q),
        None => (after, ""),
    };
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    Some(Url { scheme: scheme.to_string(), rest: rest.to_string(), query })
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn encode_query(query: &BTreeMap<String, String>) -> String {
    query
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, QUERY_NAME), utf8_percent_encode(v, QUERY_VALUE)))
        .collect::<Vec<_>>()
        .join("&")
}

fn is_rev(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_flake_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_ref_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['.', '/', '-'])
        && !s.contains("..")
        && !s.ends_with(['/', '.'])
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/@+".contains(c))
}

fn has_archive_extension(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    ARCHIVE_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

/// Parses a flake reference in URL-like form into its attribute form. The `dir` query
/// parameter becomes the `dir` attribute. Relative paths are refused (there is no directory to
/// resolve them against), and paths are not looked at, so a path is always of type `path`.
pub fn parse(s: &str) -> Result<FlakeAttrs> {
    if let Some((_, fragment)) = s.split_once('#') {
        return Err(FlakeRefError::Fragment { fragment: fragment.to_string(), url: s.to_string() });
    }
    if let Some(attrs) = parse_indirect_short(s)? {
        return Ok(attrs);
    }
    match split_url(s) {
        Some(url) => from_url(s, url),
        None if s.starts_with('/') => {
            let (path, query) = s.split_once('?').unwrap_or((s, ""));
            from_url(s, split_url(&format!("path:{path}?{query}")).ok_or_else(|| FlakeRefError::Invalid(s.to_string()))?)
        }
        None => Err(FlakeRefError::NotAbsolute(s.to_string())),
    }
}

/// `nixpkgs`, `nixpkgs/branch`, `nixpkgs/branch/<rev>`: a name to look up in the registry.
fn parse_indirect_short(s: &str) -> Result<Option<FlakeAttrs>> {
    let (id, rest) = s.split_once('/').unwrap_or((s, ""));
    if !is_flake_id(id) {
        return Ok(None);
    }
    let mut attrs = indirect(id);
    if !rest.is_empty() && !ref_and_rev(rest, &mut attrs) {
        return Ok(None);
    }
    Ok(Some(attrs))
}

fn indirect(id: &str) -> FlakeAttrs {
    let mut attrs = FlakeAttrs::new();
    attrs.insert("type".into(), FlakeAttr::Str("indirect".into()));
    attrs.insert("id".into(), FlakeAttr::Str(id.into()));
    attrs
}

/// Reads `ref`, `rev` or `ref/rev` after an id into `attrs`; false when it is neither.
fn ref_and_rev(rest: &str, attrs: &mut FlakeAttrs) -> bool {
    if is_rev(rest) {
        attrs.insert("rev".into(), FlakeAttr::Str(rest.into()));
        return true;
    }
    if let Some((r, rev)) = rest.rsplit_once('/') {
        if is_rev(rev) && is_ref_name(r) {
            attrs.insert("ref".into(), FlakeAttr::Str(r.into()));
            attrs.insert("rev".into(), FlakeAttr::Str(rev.into()));
            return true;
        }
    }
    if is_ref_name(rest) {
        attrs.insert("ref".into(), FlakeAttr::Str(rest.into()));
        return true;
    }
    false
}

/// A query parameter's value in attribute form: integers and Booleans where the type says so.
fn query_attr(kind: &str, name: &str, value: String) -> Result<FlakeAttr> {
    if INTS.contains(&name) {
        return value
            .parse()
            .map(FlakeAttr::Int)
            .map_err(|_| FlakeRefError::BadAttr(format!("attribute '{name}' must be an integer, not '{value}'")));
    }
    if (kind == "git" || kind == "hg") && GIT_BOOLS.contains(&name) {
        return Ok(FlakeAttr::Bool(value == "1"));
    }
    Ok(FlakeAttr::Str(value))
}

fn from_url(whole: &str, url: Url) -> Result<FlakeAttrs> {
    let mut attrs = FlakeAttrs::new();
    let mut query = Vec::new();
    for (k, v) in url.query {
        if k == "dir" {
            attrs.insert("dir".into(), FlakeAttr::Str(v));
        } else {
            query.push((k, v));
        }
    }
    let scheme = url.scheme.as_str();
    let (kind, transport) = match scheme.split_once('+') {
        Some((k, t)) => (k, Some(t)),
        None => (scheme, None),
    };
    match (kind, transport) {
        ("flake", None) => {
            let (id, rest) = url.rest.split_once('/').unwrap_or((&url.rest, ""));
            if !is_flake_id(id) {
                return Err(FlakeRefError::Invalid(whole.to_string()));
            }
            attrs.extend(indirect(id));
            if !rest.is_empty() && !ref_and_rev(rest, &mut attrs) {
                return Err(FlakeRefError::Invalid(whole.to_string()));
            }
            take_query(&mut attrs, "indirect", query)?;
        }
        ("github" | "gitlab" | "sourcehut", None) => {
            let mut parts = url.rest.splitn(3, '/');
            let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
                return Err(FlakeRefError::Invalid(whole.to_string()));
            };
            if owner.is_empty() || repo.is_empty() {
                return Err(FlakeRefError::Invalid(whole.to_string()));
            }
            attrs.insert("type".into(), FlakeAttr::Str(kind.into()));
            attrs.insert("owner".into(), FlakeAttr::Str(decode(owner)));
            attrs.insert("repo".into(), FlakeAttr::Str(decode(repo)));
            if let Some(r) = parts.next().filter(|r| !r.is_empty()) {
                let name = if is_rev(r) { "rev" } else { "ref" };
                attrs.insert(name.into(), FlakeAttr::Str(decode(r)));
            }
            for (k, v) in query {
                if (k == "ref" || k == "rev") && attrs.contains_key(&k) {
                    let what = if k == "ref" { "branch/tag names" } else { "commit hashes" };
                    return Err(FlakeRefError::Multiple { url: whole.to_string(), what });
                }
                let value = query_attr(kind, &k, v)?;
                attrs.insert(k, value);
            }
            if attrs.contains_key("ref") && attrs.contains_key("rev") {
                return Err(FlakeRefError::Multiple { url: whole.to_string(), what: "branch/tag names or commit hashes" });
            }
        }
        ("git" | "hg", Some(t)) => {
            attrs.insert("type".into(), FlakeAttr::Str(kind.into()));
            attrs.insert("url".into(), FlakeAttr::Str(format!("{t}:{}", url.rest)));
            take_query(&mut attrs, kind, query)?;
        }
        ("path", None) => {
            let path = decode(&url.rest);
            if !path.starts_with('/') {
                return Err(FlakeRefError::NotAbsolute(whole.to_string()));
            }
            attrs.insert("type".into(), FlakeAttr::Str("path".into()));
            attrs.insert("path".into(), FlakeAttr::Str(path));
            take_query(&mut attrs, "path", query)?;
        }
        ("tarball" | "file", Some(t)) => {
            attrs.insert("type".into(), FlakeAttr::Str(kind.into()));
            let full = with_query(&format!("{t}:{}", url.rest), &mut attrs, query);
            attrs.insert("url".into(), FlakeAttr::Str(full));
        }
        ("http" | "https" | "file", None) => {
            let plain = format!("{scheme}:{}", url.rest);
            let kind = if has_archive_extension(&plain) { "tarball" } else { "file" };
            attrs.insert("type".into(), FlakeAttr::Str(kind.into()));
            let full = with_query(&plain, &mut attrs, query);
            attrs.insert("url".into(), FlakeAttr::Str(full));
        }
        _ => return Err(FlakeRefError::UnsupportedUrl(whole.to_string())),
    }
    Ok(attrs)
}

/// Tarball and file URLs keep their own query; only `narHash`, `rev`, `revCount` and
/// `lastModified` are taken out as attributes.
fn with_query(base: &str, attrs: &mut FlakeAttrs, query: Vec<(String, String)>) -> String {
    let mut kept = BTreeMap::new();
    for (k, v) in query {
        match k.as_str() {
            "narHash" | "rev" => {
                attrs.insert(k, FlakeAttr::Str(v));
            }
            "revCount" | "lastModified" => match v.parse() {
                Ok(n) => {
                    attrs.insert(k, FlakeAttr::Int(n));
                }
                Err(_) => {
                    kept.insert(k, v);
                }
            },
            _ => {
                kept.insert(k, v);
            }
        }
    }
    if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", encode_query(&kept))
    }
}

fn take_query(attrs: &mut FlakeAttrs, kind: &str, query: Vec<(String, String)>) -> Result<()> {
    for (k, v) in query {
        let value = query_attr(kind, &k, v)?;
        attrs.insert(k, value);
    }
    Ok(())
}

fn str_attr<'a>(attrs: &'a FlakeAttrs, name: &str, kind: &str) -> Result<&'a str> {
    match attrs.get(name) {
        Some(FlakeAttr::Str(s)) => Ok(s),
        Some(_) => Err(FlakeRefError::BadAttr(format!("attribute '{name}' of a {kind} flake reference must be a string"))),
        None => Err(FlakeRefError::BadAttr(format!("attribute '{name}' is missing in a {kind} flake reference"))),
    }
}

/// Prints a flake reference given in attribute form in its URL-like form, the canonical one:
/// `github:owner/repo/ref?dir=...`, `git+https://...?ref=...`, `path:/p`, `flake:id/ref`.
/// Attributes other than the ones a type puts in the path go to the query, names in order.
pub fn to_string(attrs: &FlakeAttrs) -> Result<String> {
    let kind = str_attr(attrs, "type", "")
        .map_err(|_| FlakeRefError::BadAttr("flake reference attribute set has no string attribute 'type'".into()))?;
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    let allowed: &[&str] = match kind {
        "github" | "gitlab" | "sourcehut" => &["owner", "repo", "ref", "rev", "host", "narHash", "lastModified", "treeHash"],
        "git" => &[
            "url", "ref", "rev", "shallow", "submodules", "allRefs", "exportIgnore", "lfs", "verifyCommit", "lastModified",
            "revCount", "narHash", "name", "dirtyRev", "dirtyShortRev", "keytype", "publicKey", "publicKeys",
        ],
        "hg" => &["url", "ref", "rev", "revCount", "narHash", "name"],
        "path" => &["path", "rev", "revCount", "lastModified", "narHash"],
        "tarball" | "file" => &["url", "narHash", "rev", "revCount", "lastModified", "name", "unpack"],
        "indirect" => &["id", "ref", "rev", "narHash"],
        other => return Err(FlakeRefError::BadAttr(format!("flake reference type '{other}' is not supported"))),
    };
    for name in attrs.keys() {
        if name != "type" && name != "dir" && !allowed.contains(&name.as_str()) {
            return Err(FlakeRefError::UnsupportedAttr { kind: kind.to_string(), name: name.clone() });
        }
    }
    let mut in_path = vec!["type"];
    let head = match kind {
        "github" | "gitlab" | "sourcehut" => {
            in_path.extend(["owner", "repo", "ref", "rev"]);
            let mut s = format!("{kind}:{}/{}", str_attr(attrs, "owner", kind)?, str_attr(attrs, "repo", kind)?);
            if attrs.contains_key("ref") && attrs.contains_key("rev") {
                return Err(FlakeRefError::BadAttr(format!("a {kind} flake reference cannot have both 'ref' and 'rev'")));
            }
            for name in ["ref", "rev"] {
                if attrs.contains_key(name) {
                    s.push('/');
                    s.push_str(str_attr(attrs, name, kind)?);
                }
            }
            s
        }
        "git" | "hg" => {
            in_path.push("url");
            format!("{kind}+{}", str_attr(attrs, "url", kind)?)
        }
        "path" => {
            in_path.push("path");
            format!("path:{}", str_attr(attrs, "path", kind)?)
        }
        "tarball" | "file" => {
            in_path.push("url");
            let url = str_attr(attrs, "url", kind)?;
            let implied = match kind {
                "tarball" => has_archive_extension(url),
                _ => !has_archive_extension(url),
            };
            let plain_scheme = url.starts_with("http:") || url.starts_with("https:") || url.starts_with("file:");
            if implied && plain_scheme {
                url.to_string()
            } else {
                format!("{kind}+{url}")
            }
        }
        _ => {
            in_path.extend(["id", "ref", "rev"]);
            let mut s = format!("flake:{}", str_attr(attrs, "id", kind)?);
            for name in ["ref", "rev"] {
                if attrs.contains_key(name) {
                    s.push('/');
                    s.push_str(str_attr(attrs, name, kind)?);
                }
            }
            s
        }
    };
    for (name, value) in attrs {
        if !in_path.contains(&name.as_str()) {
            query.insert(name.clone(), value.to_string());
        }
    }
    if query.is_empty() {
        Ok(head)
    } else {
        let sep = if head.contains('?') { '&' } else { '?' };
        Ok(format!("{head}{sep}{}", encode_query(&query)))
    }
}

/// Takes a flake reference apart: the URL-like string (`github:o/r/ref?dir=d`, `nixpkgs`,
/// `git+https://...`, `path:/p`) as an attribute set (`{ type; owner; repo; ref; dir; }`).
/// O(n) in the length of the reference.
pub(super) fn parse_flake_ref(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let text = expect_string_no_ctx(vm, a[0]).trace(|| nth_arg(0, "parseFlakeRef"))?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let attrs = parse(&text).map_err(|e| EvalError::new(ErrorKind::Other, e.to_string()))?;
    let entries = attrs
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                FlakeAttr::Str(s) => vm.new_string(s.into_bytes()),
                // Larger counts than an integer holds do not occur in references.
                FlakeAttr::Int(i) => Value::Int(i64::try_from(i).unwrap_or(i64::MAX)),
                FlakeAttr::Bool(b) => Value::Bool(b),
            };
            (k, value)
        })
        .collect();
    Ok(vm.attrs_from(entries))
}

/// Puts a flake reference in attribute form back together as its URL-like string; attributes
/// must be strings, non-negative integers or Booleans. O(n) in the size of the set (each
/// attribute is forced).
pub(super) fn flake_ref_to_string(vm: &mut Vm, a: &[Value]) -> EvalResult<Value> {
    let g = vm.expect_attrs(a[0]).trace(|| nth_arg(0, "flakeRefToString"))?;
    let mut attrs = FlakeAttrs::new();
    for (sym, value) in vm.sorted_attrs(g) {
        let name = String::from_utf8_lossy(vm.symbols.name(sym)).into_owned();
        let attr = match vm.force(value)? {
            Value::String(_) => FlakeAttr::Str(String::from_utf8_lossy(&expect_string_no_ctx(vm, value)?).into_owned()),
            Value::Int(i) => FlakeAttr::Int(u64::try_from(i).map_err(|_| {
                EvalError::new(ErrorKind::Other, format!("negative value given for flake ref attr {name}: {i}"))
            })?),
            Value::Bool(b) => FlakeAttr::Bool(b),
            other => {
                return Err(EvalError::type_error(format!(
                    "flake reference attribute sets may only contain integers, Booleans, and strings, but attribute '{name}' is {}",
                    other.show_type()
                )))
            }
        };
        attrs.insert(name, attr);
    }
    let text = to_string(&attrs).map_err(|e| EvalError::new(ErrorKind::Other, e.to_string()))?;
    Ok(vm.new_string(text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> FlakeAttr {
        FlakeAttr::Str(v.into())
    }

    fn attrs(pairs: &[(&str, FlakeAttr)]) -> FlakeAttrs {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn github_with_ref_and_dir() {
        let a = parse("github:NixOS/nixpkgs/23.05?dir=lib").unwrap();
        assert_eq!(
            a,
            attrs(&[("dir", s("lib")), ("owner", s("NixOS")), ("ref", s("23.05")), ("repo", s("nixpkgs")), ("type", s("github"))])
        );
        assert_eq!(to_string(&a).unwrap(), "github:NixOS/nixpkgs/23.05?dir=lib");
    }

    #[test]
    fn github_rev_and_branch_with_slash() {
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let a = parse(&format!("github:o/r/{rev}")).unwrap();
        assert_eq!(a.get("rev"), Some(&s(rev)));
        assert!(!a.contains_key("ref"));
        let b = parse("github:o/r/feature/x").unwrap();
        assert_eq!(b.get("ref"), Some(&s("feature/x")));
        assert_eq!(to_string(&b).unwrap(), "github:o/r/feature/x");
        assert!(matches!(parse("github:o/r/main?ref=dev"), Err(FlakeRefError::Multiple { .. })));
        assert!(matches!(parse("github:o"), Err(FlakeRefError::Invalid(_))));
    }

    #[test]
    fn indirect_forms() {
        assert_eq!(parse("nixpkgs").unwrap(), attrs(&[("id", s("nixpkgs")), ("type", s("indirect"))]));
        let a = parse("nixpkgs/nixos-23.05").unwrap();
        assert_eq!(a.get("ref"), Some(&s("nixos-23.05")));
        assert_eq!(to_string(&a).unwrap(), "flake:nixpkgs/nixos-23.05");
        assert_eq!(parse("flake:nixpkgs/nixos-23.05").unwrap(), a);
    }

    #[test]
    fn git_query_types() {
        let a = parse("git+https://example.org/repo.git?ref=main&shallow=1&revCount=12").unwrap();
        assert_eq!(a.get("type"), Some(&s("git")));
        assert_eq!(a.get("url"), Some(&s("https://example.org/repo.git")));
        assert_eq!(a.get("shallow"), Some(&FlakeAttr::Bool(true)));
        assert_eq!(a.get("revCount"), Some(&FlakeAttr::Int(12)));
        assert_eq!(to_string(&a).unwrap(), "git+https://example.org/repo.git?ref=main&revCount=12&shallow=1");
    }

    #[test]
    fn paths_and_tarballs() {
        assert_eq!(parse("/srv/flake").unwrap(), attrs(&[("path", s("/srv/flake")), ("type", s("path"))]));
        assert_eq!(to_string(&parse("path:/srv/flake").unwrap()).unwrap(), "path:/srv/flake");
        assert!(matches!(parse("./relative"), Err(FlakeRefError::NotAbsolute(_))));
        let t = parse("https://example.org/x.tar.gz").unwrap();
        assert_eq!(t.get("type"), Some(&s("tarball")));
        assert_eq!(to_string(&t).unwrap(), "https://example.org/x.tar.gz");
        let f = parse("https://example.org/x.txt").unwrap();
        assert_eq!(f.get("type"), Some(&s("file")));
        assert_eq!(to_string(&attrs(&[("type", s("tarball")), ("url", s("https://e.org/x"))])).unwrap(), "tarball+https://e.org/x");
    }

    #[test]
    fn errors() {
        assert!(matches!(parse("github:o/r#frag"), Err(FlakeRefError::Fragment { .. })));
        assert!(matches!(parse("mailto:x@y"), Err(FlakeRefError::UnsupportedUrl(_))));
        let bad = attrs(&[("type", s("github")), ("owner", s("o")), ("repo", s("r")), ("colour", s("red"))]);
        assert!(matches!(to_string(&bad), Err(FlakeRefError::UnsupportedAttr { .. })));
        assert!(to_string(&attrs(&[("owner", s("o"))])).is_err());
    }
}
