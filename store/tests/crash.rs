//! Crash safety and concurrency of the local store. The test binary runs itself as the child
//! process (the `child_*` tests do work only when their environment variable is set): children
//! adding paths are killed with SIGKILL at random moments, or two run at once on one store, and
//! afterwards every registered path must verify.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lix_store::{FileIngestionMethod, LocalStore, NarNode, StoreDir};

const ROOT_VAR: &str = "LIXC_TEST_STORE_ROOT";
const SEED_VAR: &str = "LIXC_TEST_SEED";

/// A small tree whose contents depend on `i`: a directory with a few files, one executable, and
/// a symlink, so a write has several steps to be interrupted between.
fn tree(i: u64) -> NarNode {
    let mut entries = BTreeMap::new();
    for f in 0..4u64 {
        entries.insert(
            format!("file{f}").into_bytes(),
            NarNode::Regular {
                executable: f == 0,
                contents: format!("tree {i} file {f}\n")
                    .repeat((1 + (i + f) % 7) as usize * 50)
                    .into_bytes(),
            },
        );
    }
    entries.insert(
        b"link".to_vec(),
        NarNode::Symlink {
            target: b"file1".to_vec(),
        },
    );
    let mut sub = BTreeMap::new();
    sub.insert(
        b"x".to_vec(),
        NarNode::Regular {
            executable: false,
            contents: i.to_le_bytes().to_vec(),
        },
    );
    entries.insert(b"sub".to_vec(), NarNode::Directory(sub));
    NarNode::Directory(entries)
}

/// Adds tree `i` and a text referring to it; the text's references make registration order
/// matter.
fn add_pair(store: &LocalStore, i: u64) {
    let t = store
        .add_node(
            &format!("tree-{i}"),
            &tree(i),
            FileIngestionMethod::Recursive,
            &BTreeSet::new(),
        )
        .expect("add tree");
    let text = format!("points at {}\n", store.print_path(&t));
    store
        .add_text(
            &format!("text-{i}"),
            text.as_bytes(),
            &[t].into_iter().collect(),
        )
        .expect("add text");
}

fn child_store() -> Option<(LocalStore, u64)> {
    let root = std::env::var_os(ROOT_VAR)?;
    let seed = std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let store = LocalStore::open(Path::new(&root), StoreDir::default()).expect("open store");
    if std::env::var_os("LIXC_TEST_NO_FSYNC").is_some() {
        store.set_fsync(false).expect("fsync off");
    }
    // `LIXC_TEST_BATCH=N`: batched adds, flushed every N paths.
    if let Some(n) = std::env::var("LIXC_TEST_BATCH").ok().and_then(|n| n.parse().ok()) {
        store.begin_batch();
        store.set_batch_max_paths(n);
    }
    Some((store, seed))
}

/// Child: adds pairs from `seed` on, forever (until killed). Overlapping seeds make children
/// re-add paths that an earlier, killed child left half-done.
#[test]
fn child_add_forever() {
    let Some((store, seed)) = child_store() else {
        return;
    };
    let mut i = seed;
    loop {
        add_pair(&store, i % 400);
        i += 1;
    }
}

/// Child: adds pairs 0..150 once.
#[test]
fn child_add_fixed() {
    let Some((store, _)) = child_store() else {
        return;
    };
    for i in 0..150 {
        add_pair(&store, i);
    }
    store.end_batch().expect("end batch");
}

fn spawn_child(test: &str, root: &Path, seed: u64, extra: &[(&str, &str)]) -> std::process::Child {
    let exe = std::env::current_exe().expect("test binary");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(ROOT_VAR, root)
        .env(SEED_VAR, seed.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child")
}

/// A tiny deterministic generator (xorshift), so failures can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_at_random_points_leaves_a_verifiable_store() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut kills = 0;
    // At least 30 kills; more (up to 90) while the children have registered few paths, so a
    // slow machine still tests kills in the middle of adds.
    for round in 0..90u64 {
        // Every other child runs without fsync: adding stays atomic against being killed. Every
        // third batches its adds (flushing every 7 paths), so kills land in the middle of
        // batches and of their flushes.
        let extra: &[(&str, &str)] = match (round % 2, round % 3) {
            (0, 0) => &[("LIXC_TEST_BATCH", "7")],
            (1, 0) => &[("LIXC_TEST_BATCH", "7"), ("LIXC_TEST_NO_FSYNC", "1")],
            (1, _) => &[("LIXC_TEST_NO_FSYNC", "1")],
            _ => &[],
        };
        let mut child = spawn_child("child_add_forever", root, round * 7, extra);
        // Let the child start (the test harness takes a few milliseconds) and then kill it
        // somewhere in its loop.
        std::thread::sleep(Duration::from_millis(10 + rng.next() % 150));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        kills += 1;
        if round % 10 == 9 {
            let store = LocalStore::open(root, StoreDir::default()).expect("reopen");
            let report = store.verify().expect("verify");
            assert!(
                report.damaged.is_empty(),
                "after {kills} kills: {:?}",
                report.damaged
            );
            if kills >= 30 && report.checked >= 20 {
                break;
            }
        }
    }
    // Opening cleans the temporaries of dead writers; every registered path verifies, and text
    // paths' references are registered too (registration is one transaction).
    let store = LocalStore::open(root, StoreDir::default()).expect("reopen");
    let report = store.verify().expect("verify");
    eprintln!(
        "{kills} kills in {:?}: {} paths registered, {} unregistered leftovers",
        started.elapsed(),
        report.checked,
        report.unregistered.len()
    );
    assert!(report.damaged.is_empty(), "{:?}", report.damaged);
    assert!(
        report.checked > 0,
        "the children added nothing in {:?}",
        started.elapsed()
    );
    assert!(
        report
            .unregistered
            .iter()
            .all(|n| !n.starts_with(lix_store::local::TEMP_PREFIX)),
        "temporaries left: {:?}",
        report.unregistered
    );
    for p in store.valid_paths().expect("paths") {
        let info = store.query_path_info(&p).expect("db").expect("valid");
        for r in &info.references {
            assert!(
                store.is_valid(r).expect("db"),
                "{p} refers to unregistered {r}"
            );
        }
    }
    // Adding again after the crashes works and repairs nothing that was registered.
    add_pair(&store, 3);
    assert!(store.verify().expect("verify").damaged.is_empty());
}

#[test]
fn crash_between_rename_and_registration_is_repaired_by_the_next_add() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let mut child = spawn_child(
        "child_add_fixed",
        root,
        0,
        &[("LIXC_STORE_CRASH_AT", "registering")],
    );
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the child should have aborted");
    let store = LocalStore::open(root, StoreDir::default()).expect("reopen");
    let report = store.verify().expect("verify");
    assert_eq!(report.checked, 0);
    assert_eq!(report.unregistered.len(), 1, "{:?}", report.unregistered);
    add_pair(&store, 0);
    let report = store.verify().expect("verify");
    assert_eq!(
        (
            report.checked,
            report.damaged.len(),
            report.unregistered.len()
        ),
        (2, 0, 0)
    );
}

/// The store at `root` holds the children's 300 paths, all intact and registered.
fn assert_all_300_paths_whole(root: &Path) {
    let store = LocalStore::open(root, StoreDir::default()).expect("reopen");
    let report = store.verify().expect("verify");
    assert_eq!((report.checked, report.damaged.len()), (300, 0), "{report:?}");
    assert!(report.unregistered.is_empty(), "{:?}", report.unregistered);
}

#[test]
fn two_processes_adding_the_same_paths() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let a = spawn_child("child_add_fixed", root, 0, &[]);
    let b = spawn_child("child_add_fixed", root, 0, &[]);
    for mut c in [a, b] {
        assert!(c.wait().expect("wait").success(), "a child failed");
    }
    assert_all_300_paths_whole(root);
}

#[test]
fn crash_after_a_batch_renamed_before_it_registered() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    // The child writes all 300 paths in one batch and aborts at the flush, after the `syncfs`
    // and before the transaction.
    let mut child = spawn_child(
        "child_add_fixed",
        root,
        0,
        &[("LIXC_TEST_BATCH", "1000"), ("LIXC_STORE_CRASH_AT", "batch-registering")],
    );
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the child should have aborted");
    let store = LocalStore::open(root, StoreDir::default()).expect("reopen");
    let report = store.verify().expect("verify");
    assert_eq!((report.checked, report.damaged.len()), (0, 0), "{report:?}");
    assert_eq!(report.unregistered.len(), 300, "{:?}", report.unregistered);
    assert!(report
        .unregistered
        .iter()
        .all(|n| !n.starts_with(lix_store::local::TEMP_PREFIX)));
    drop(store);
    // A rerun (batched again) replaces the leftovers and registers everything.
    let mut child = spawn_child("child_add_fixed", root, 0, &[("LIXC_TEST_BATCH", "1000")]);
    assert!(child.wait().expect("wait").success(), "the rerun failed");
    let store = LocalStore::open(root, StoreDir::default()).expect("reopen");
    let report = store.verify().expect("verify");
    assert_eq!(
        (report.checked, report.damaged.len(), report.unregistered.len()),
        (300, 0, 0),
        "{report:?}"
    );
}

#[test]
fn readers_see_pending_paths_as_valid() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = LocalStore::open(tmp.path(), StoreDir::default()).expect("open");
    store.begin_batch();
    let t = store
        .add_node("tree", &tree(1), FileIngestionMethod::Recursive, &BTreeSet::new())
        .expect("add tree");
    assert!(store.is_valid(&t).expect("db"));
    // A path referring to a pending one can be added in the same batch.
    let text = store
        .add_text("text", b"x", &[t.clone()].into_iter().collect())
        .expect("add text");
    let info = store.query_path_info(&text).expect("db").expect("pending");
    assert!(info.references.contains(&t));
    // Another connection to the store does not see them until the batch is flushed.
    let other = LocalStore::open(tmp.path(), StoreDir::default()).expect("open");
    assert!(!other.is_valid(&t).expect("db"));
    store.end_batch().expect("end batch");
    assert!(other.is_valid(&t).expect("db") && other.is_valid(&text).expect("db"));
    let report = other.verify().expect("verify");
    assert_eq!((report.checked, report.damaged.len()), (2, 0), "{report:?}");
}

#[test]
fn two_batched_processes_adding_the_same_paths() {
    // Both hold locks of pending paths and want the other's: each flushes before waiting, so
    // neither deadlocks. A third, unbatched, runs alongside.
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let a = spawn_child("child_add_fixed", root, 0, &[("LIXC_TEST_BATCH", "50")]);
    let b = spawn_child("child_add_fixed", root, 0, &[("LIXC_TEST_BATCH", "1000")]);
    let c = spawn_child("child_add_fixed", root, 0, &[]);
    for mut child in [a, b, c] {
        assert!(child.wait().expect("wait").success(), "a child failed");
    }
    assert_all_300_paths_whole(root);
}
