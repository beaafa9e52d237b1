//! Fetching without a network: `file://` URLs read from the local file system, tarballs
//! (plain or gzip) unpacked into a [`NarNode`] tree with every member path checked, and local git
//! repositories exported through the `git` binary. Any other URL is an error that says lixc does
//! not download.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::nar::{check_entry_name, NarNode};

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A URL that would need the network.
    #[error("cannot fetch '{0}': lixc does not download (only file:// URLs and local git repositories can be fetched)")]
    Offline(String),
    /// A `file:` URL with a relative path.
    #[error("{what} '{url}' must use an absolute path. The 'file' scheme does not support relative paths.")]
    RelativeFileUrl {
        /// `tarball` or `file`.
        what: &'static str,
        /// The URL.
        url: String,
    },
    /// A URL that cannot be parsed.
    #[error("invalid URL '{0}'")]
    BadUrl(String),
    /// Reading a local file failed.
    #[error("cannot read '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A tarball is malformed or holds something that cannot be unpacked safely.
    #[error("cannot unpack '{url}': {reason}")]
    BadTarball {
        /// Where the tarball came from.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A git command failed.
    #[error("git: {0}")]
    Git(String),
}

/// The local path a `file:` URL names; `what` (`tarball`, `file`) is used in errors.
/// `file:///a/b`, `file:/a/b` and `file://localhost/a/b` are `/a/b`; other schemes need the
/// network.
pub fn file_url_path(url: &str, what: &'static str) -> Result<PathBuf, FetchError> {
    let Some(rest) = url.strip_prefix("file:") else {
        return Err(FetchError::Offline(url.to_owned()));
    };
    let path = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(0) => after.to_owned(),
            Some(i) if &after[..i] == "localhost" => after[i..].to_owned(),
            Some(_) | None => {
                // `file://name` names a relative path (the reference reads it so too).
                if after.is_empty() {
                    return Err(FetchError::BadUrl(url.to_owned()));
                }
                return Err(FetchError::RelativeFileUrl {
                    what,
                    url: url.to_owned(),
                });
            }
        },
        None if rest.starts_with('/') => rest.to_owned(),
        None => {
            return Err(FetchError::RelativeFileUrl {
                what,
                url: url.to_owned(),
            })
        }
    };
    let path = percent_decode(&path).ok_or_else(|| FetchError::BadUrl(url.to_owned()))?;
    Ok(PathBuf::from(path))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The bytes at `url` (a `file:` URL).
pub fn read_url(url: &str) -> Result<Vec<u8>, FetchError> {
    let path = file_url_path(url, "file")?;
    std::fs::read(&path).map_err(|source| FetchError::Io { path, source })
}

/// Unpacks a tar archive (gzip-compressed or not) into a tree. Member paths must stay inside
/// the archive (no `..`, no absolute paths); hard links must point at earlier members.
pub fn unpack_tar(bytes: &[u8], url: &str) -> Result<NarNode, FetchError> {
    let bad = |reason: String| FetchError::BadTarball {
        url: url.to_owned(),
        reason,
    };
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) || bytes.starts_with(b"BZh") {
        return Err(bad(
            "xz and bzip2 tarballs are not supported yet (use gzip or plain tar)".into(),
        ));
    } else {
        Box::new(bytes)
    };
    let mut archive = tar::Archive::new(reader);
    let mut root = NarNode::Directory(BTreeMap::new());
    let entries = archive.entries().map_err(|e| bad(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let parts = member_parts(&path).map_err(bad)?;
        let kind = entry.header().entry_type();
        let node = if kind.is_dir() {
            NarNode::Directory(BTreeMap::new())
        } else if kind.is_symlink() {
            let target = entry
                .link_name_bytes()
                .ok_or_else(|| bad(format!("symlink '{}' has no target", path.display())))?;
            NarNode::Symlink {
                target: target.into_owned(),
            }
        } else if kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| bad(e.to_string()))?
                .ok_or_else(|| bad(format!("hard link '{}' has no target", path.display())))?
                .into_owned();
            let target_parts = member_parts(&target).map_err(bad)?;
            lookup(&root, &target_parts).cloned().ok_or_else(|| {
                bad(format!(
                    "hard link '{}' points at a missing member",
                    path.display()
                ))
            })?
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            let mode = entry.header().mode().map_err(|e| bad(e.to_string()))?;
            let mut contents = Vec::new();
            entry
                .read_to_end(&mut contents)
                .map_err(|e| bad(e.to_string()))?;
            NarNode::Regular {
                executable: mode & 0o100 != 0,
                contents,
            }
        } else if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
        {
            continue;
        } else {
            return Err(bad(format!(
                "'{}' is not a file, directory or symlink",
                path.display()
            )));
        };
        if parts.is_empty() {
            continue; // `./` itself
        }
        insert(&mut root, &parts, node).map_err(bad)?;
    }
    Ok(root)
}

/// The components of a member path, refusing anything that leaves the archive.
fn member_parts(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    use std::os::unix::ffi::OsStrExt as _;
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => {
                let n = n.as_bytes().to_vec();
                check_entry_name(&n).map_err(|e| e.to_string())?;
                parts.push(n);
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "member '{}' would be unpacked outside the archive",
                    path.display()
                ))
            }
        }
    }
    Ok(parts)
}

fn lookup<'a>(root: &'a NarNode, parts: &[Vec<u8>]) -> Option<&'a NarNode> {
    let mut cur = root;
    for p in parts {
        match cur {
            NarNode::Directory(entries) => cur = entries.get(p)?,
            _ => return None,
        }
    }
    Some(cur)
}

fn insert(root: &mut NarNode, parts: &[Vec<u8>], node: NarNode) -> Result<(), String> {
    let mut cur = root;
    let Some((last, dirs)) = parts.split_last() else {
        return Ok(());
    };
    for p in dirs {
        let NarNode::Directory(entries) = cur else {
            return Err(format!(
                "'{}' is both a file and a directory",
                String::from_utf8_lossy(p)
            ));
        };
        cur = entries
            .entry(p.clone())
            .or_insert_with(|| NarNode::Directory(BTreeMap::new()));
    }
    let NarNode::Directory(entries) = cur else {
        return Err(format!(
            "the parent of '{}' is not a directory",
            String::from_utf8_lossy(last)
        ));
    };
    match (entries.get_mut(last), node) {
        // A directory listed again (or after its contents) keeps what it has.
        (Some(NarNode::Directory(_)), NarNode::Directory(_)) => {}
        (_, node) => {
            entries.insert(last.clone(), node);
        }
    }
    Ok(())
}

/// The single top-level directory of an unpacked tarball, as `fetchTarball` uses it.
pub fn single_top_level(root: NarNode, url: &str) -> Result<NarNode, FetchError> {
    match root {
        NarNode::Directory(entries) if entries.len() == 1 => Ok(entries
            .into_values()
            .next()
            .unwrap_or(NarNode::Directory(BTreeMap::new()))),
        NarNode::Directory(entries) => Err(FetchError::BadTarball {
            url: url.to_owned(),
            reason: format!("it contains {} top-level entries, not one", entries.len()),
        }),
        other => Ok(other),
    }
}

/// What `fetchGit` learns about the revision it exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitRevision {
    /// The full commit hash (all zeros for a dirty working tree).
    pub rev: String,
    /// Commits reachable from it.
    pub rev_count: u64,
    /// Commit time, seconds since the epoch.
    pub last_modified: i64,
}

fn git(repo: &Path, args: &[&str]) -> Result<Vec<u8>, FetchError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| FetchError::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(FetchError::Git(format!(
            "'git {}' in '{}' failed: {}",
            args.join(" "),
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// The local repository a `fetchGit` URL names: a path, or a `file://` URL; anything else needs
/// the network.
pub fn git_repo_path(url: &str) -> Result<PathBuf, FetchError> {
    let url = url.strip_prefix("git+").unwrap_or(url);
    if url.starts_with('/') {
        return Ok(PathBuf::from(url));
    }
    file_url_path(url, "repository")
}

/// Exports `rev` (or `git_ref`, or `HEAD`) of the repository at `repo` as a tree. With neither
/// given and uncommitted changes in the working tree, the working tree's tracked files are
/// exported and the revision is all zeros, as CppNix does for a dirty tree.
pub fn git_export(
    repo: &Path,
    rev: Option<&str>,
    git_ref: Option<&str>,
) -> Result<(NarNode, GitRevision), FetchError> {
    let url = repo.display().to_string();
    if rev.is_none() && git_ref.is_none() {
        let status = git(repo, &["status", "--porcelain", "--untracked-files=no"])?;
        if !status.is_empty() {
            let files = git(repo, &["ls-files", "-z"])?;
            let mut root = NarNode::Directory(BTreeMap::new());
            for f in files.split(|&b| b == 0).filter(|f| !f.is_empty()) {
                use std::os::unix::ffi::OsStrExt as _;
                let rel = Path::new(std::ffi::OsStr::from_bytes(f));
                let parts = member_parts(rel).map_err(|reason| FetchError::BadTarball {
                    url: url.clone(),
                    reason,
                })?;
                let full = repo.join(rel);
                match NarNode::from_path(&full) {
                    Ok(node) => insert(&mut root, &parts, node).map_err(|reason| {
                        FetchError::BadTarball {
                            url: url.clone(),
                            reason,
                        }
                    })?,
                    // Deleted but not yet committed.
                    Err(crate::Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(FetchError::Git(e.to_string())),
                }
            }
            let zero = "0".repeat(40);
            return Ok((
                root,
                GitRevision {
                    rev: zero,
                    rev_count: 0,
                    last_modified: 0,
                },
            ));
        }
    }
    let wanted = match (rev, git_ref) {
        (Some(r), _) => r.to_owned(),
        (None, Some(r)) => r.to_owned(),
        (None, None) => "HEAD".to_owned(),
    };
    let spec = format!("{wanted}^{{commit}}");
    let rev = String::from_utf8_lossy(&git(repo, &["rev-parse", "--verify", "--quiet", &spec])?)
        .trim()
        .to_owned();
    let count = String::from_utf8_lossy(&git(repo, &["rev-list", "--count", &rev])?)
        .trim()
        .parse()
        .unwrap_or(0);
    let time = String::from_utf8_lossy(&git(repo, &["log", "-1", "--format=%ct", &rev])?)
        .trim()
        .parse()
        .unwrap_or(0);
    let tar = git(repo, &["archive", "--format=tar", &rev])?;
    let root = unpack_tar(&tar, &url)?;
    Ok((
        root,
        GitRevision {
            rev,
            rev_count: count,
            last_modified: time,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls() {
        assert_eq!(
            file_url_path("file:///a/b%20c", "file").expect("ok"),
            PathBuf::from("/a/b c")
        );
        assert_eq!(
            file_url_path("file:/a", "file").expect("ok"),
            PathBuf::from("/a")
        );
        assert_eq!(
            file_url_path("file://localhost/a", "file").expect("ok"),
            PathBuf::from("/a")
        );
        let e = file_url_path("file:./x.tar.gz", "tarball").expect_err("relative");
        assert_eq!(
            e.to_string(),
            "tarball 'file:./x.tar.gz' must use an absolute path. The 'file' scheme does not support relative paths."
        );
        assert!(matches!(
            file_url_path("https://example.com/x", "file"),
            Err(FetchError::Offline(_))
        ));
    }

    fn tar_with(path: &str, data: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // `set_path` refuses `..`; write the name bytes directly, as a hostile archive would.
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, data).expect("append");
        b.into_inner().expect("tar")
    }

    #[test]
    fn tar_members_stay_inside() {
        let ok = unpack_tar(&tar_with("top/a.txt", b"hi"), "t").expect("unpacks");
        let top = single_top_level(ok, "t").expect("one dir");
        assert!(matches!(top, NarNode::Directory(ref e) if e.contains_key(&b"a.txt"[..])));
        for bad in ["../evil", "/etc/evil", "top/../../evil"] {
            let e = unpack_tar(&tar_with(bad, b"x"), "t").expect_err(bad);
            assert!(e.to_string().contains("outside the archive"), "{bad}: {e}");
        }
    }
}
