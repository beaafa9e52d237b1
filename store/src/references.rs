//! Reference scanning: which of a set of candidate store paths a blob of bytes (usually a NAR)
//! mentions, found by searching for their 32-character hash parts as CppNix does.

use std::collections::{BTreeSet, HashMap};

use crate::store_path::{StorePath, HASH_PART_LEN};

const NIX32: &[u8] = b"0123456789abcdfghijklmnpqrsvwxyz";

fn is_nix32(b: u8) -> bool {
    NIX32.contains(&b)
}

/// The candidates whose hash part occurs somewhere in `data`. O(length of `data`): each window
/// of 32 base-32 characters is looked up once.
pub fn scan_references<'a>(
    data: &[u8],
    candidates: impl IntoIterator<Item = &'a StorePath>,
) -> BTreeSet<StorePath> {
    let mut by_hash: HashMap<&[u8], Vec<&StorePath>> = HashMap::new();
    for c in candidates {
        by_hash.entry(c.hash_part().as_bytes()).or_default().push(c);
    }
    let mut found = BTreeSet::new();
    if by_hash.is_empty() || data.len() < HASH_PART_LEN {
        return found;
    }
    // `run` counts the base-32 characters ending at `i`; a window is a candidate only when the
    // whole of it is base 32.
    let mut run = 0usize;
    for i in 0..data.len() {
        if is_nix32(data[i]) {
            run += 1;
        } else {
            run = 0;
            continue;
        }
        if run >= HASH_PART_LEN {
            let window = &data[i + 1 - HASH_PART_LEN..=i];
            if let Some(paths) = by_hash.remove(window) {
                found.extend(paths.into_iter().cloned());
                if by_hash.is_empty() {
                    break;
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_hash_parts_anywhere() {
        let a = StorePath::from_base_name("7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a").expect("valid");
        let b = StorePath::from_base_name("0n8rj1cflhzhh0min74l7ml0ck57hkcc-b").expect("valid");
        let c = StorePath::from_base_name("1n8rj1cflhzhh0min74l7ml0ck57hkcc-c").expect("valid");
        let data = b"#!/bin/sh\nexec /nix/store/7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-other/bin/x\n\
                     x0n8rj1cflhzhh0min74l7ml0ck57hkcc";
        let found = scan_references(data, [&a, &b, &c]);
        assert_eq!(found, [a, b].into_iter().collect());
        assert!(scan_references(b"short", [&c]).is_empty());
    }
}
