//! The local store on disk: a physical root directory holding the logical store directory
//! (`<root>/nix/store/...` for `/nix/store`) and a SQLite database of valid paths
//! (`<root>/var/lixc/db.sqlite`: NAR hash and size, references, deriver, registration time,
//! content address, derivation outputs).
//!
//! Adding a path is atomic. Under the path's lock file the object is written under a temporary
//! name inside the store directory, every file and directory is fsynced, the temporary is renamed
//! to its final name, the store directory is fsynced, and only then is the path registered, in one
//! transaction. A crash leaves a temporary (removed when a store is next opened), or an
//! unregistered path (replaced by the next add), never a registered path with missing contents.
//! Several processes may use one store: SQLite runs in WAL mode with a busy timeout and write
//! transactions start `IMMEDIATE`; path locks are `flock`s on `<root>/var/lixc/locks/<xy>.lock`,
//! striped by the first two characters of the hash part (1024 lock files, so a path's lock file
//! usually exists already: creating a file is the dearest step of adding a small path).
//!
//! Bulk adds (`lixc instantiate`) run in a *batch* ([`LocalStore::begin_batch`]): each path is
//! written under its temporary name and renamed into place as above, without fsync, and kept
//! *pending* with its (striped) path lock held; readers of this store see pending paths as
//! valid. A flush (every [`BATCH_MAX_PATHS`] paths or [`BATCH_MAX_BYTES`] bytes, before waiting
//! for a lock another process holds, and at the end of the batch) makes the whole file system
//! durable with one `syncfs`, then registers every pending path in one transaction, then
//! releases the locks. A crash before that transaction commits leaves complete-or-partial
//! unregistered paths, which the next add replaces, so a registered path still always has
//! complete contents on disk. Since a batched add never waits for a lock while it holds others,
//! batched writers cannot deadlock one another.
//!
//! SQLite runs with `synchronous = NORMAL`: in WAL mode a commit is not fsynced (the WAL is at
//! checkpoints), so a power loss may undo the last registrations, but never leaves the database
//! inconsistent. Undoing a registration only turns a complete path into unregistered garbage;
//! since contents are made durable before their registration is even written, no registration
//! can survive without its contents.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::content_address::{ContentAddress, FileIngestionMethod};
use crate::derivation::{Derivation, DerivationSource};
use crate::error::{Error, Result};
use crate::hash::{Hash, HashAlgo};
use crate::nar::{self, check_entry_name, NarNode};
use crate::references::scan_references;
use crate::store_path::{StoreDir, StorePath, HASH_PART_LEN};

/// Prefix of the temporary names objects are written under before they are renamed.
pub const TEMP_PREFIX: &str = ".lixc-tmp-";

/// A batch is flushed when it holds this many pending paths.
pub const BATCH_MAX_PATHS: usize = 512;

/// A batch is flushed when its pending paths' NARs add up to this many bytes.
pub const BATCH_MAX_BYTES: u64 = 256 << 20;

/// How long a process waits for another's database lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS Meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ValidPaths (
    id               INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    path             TEXT UNIQUE NOT NULL,
    hash             TEXT NOT NULL,
    registrationTime INTEGER NOT NULL,
    deriver          TEXT,
    narSize          INTEGER NOT NULL,
    ca               TEXT
);
CREATE TABLE IF NOT EXISTS Refs (
    referrer  INTEGER NOT NULL,
    reference INTEGER NOT NULL,
    PRIMARY KEY (referrer, reference),
    FOREIGN KEY (referrer) REFERENCES ValidPaths(id) ON DELETE CASCADE,
    FOREIGN KEY (reference) REFERENCES ValidPaths(id) ON DELETE RESTRICT
);
CREATE INDEX IF NOT EXISTS IndexReferrer ON Refs(referrer);
CREATE INDEX IF NOT EXISTS IndexReference ON Refs(reference);
CREATE TABLE IF NOT EXISTS DerivationOutputs (
    drv  INTEGER NOT NULL,
    id   TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (drv, id),
    FOREIGN KEY (drv) REFERENCES ValidPaths(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS IndexDerivationOutputs ON DerivationOutputs(path);
";

/// What the database knows about one valid path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathInfo {
    /// The path.
    pub path: StorePath,
    /// SHA-256 of its NAR.
    pub nar_hash: Hash,
    /// Size of its NAR in bytes.
    pub nar_size: u64,
    /// The store paths it refers to (possibly itself).
    pub references: BTreeSet<StorePath>,
    /// The derivation that produced it, if known.
    pub deriver: Option<StorePath>,
    /// Seconds since the epoch when it was registered.
    pub registration_time: i64,
    /// Its content address (`text:sha256:…`, `fixed:r:sha256:…`), if content-addressed.
    pub ca: Option<String>,
}

/// One problem `verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The damaged path.
    pub path: StorePath,
    /// What is wrong.
    pub problem: String,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of registered paths checked.
    pub checked: usize,
    /// Registered paths whose contents do not match the database.
    pub damaged: Vec<Damage>,
    /// Entries of the store directory that are not registered (left by an interrupted add).
    pub unregistered: Vec<String>,
}

/// The physical root used when none is given: `$XDG_DATA_HOME/lixc/store`, else
/// `$HOME/.local/share/lixc/store`.
pub fn default_root() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(PathBuf::from(d).join("lixc/store"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".local/share/lixc/store"))
}

/// A local store (see the module documentation). Safe to share between threads; each
/// operation takes the database connection for its duration.
pub struct LocalStore {
    root: PathBuf,
    dir: StoreDir,
    real_dir: PathBuf,
    locks_dir: PathBuf,
    db: Mutex<Connection>,
    /// Whether contents and directories are fsynced before registration (see [`LocalStore::set_fsync`]).
    fsync: std::sync::atomic::AtomicBool,
    /// The batch in progress (see the module documentation). Taken before `db` when both are.
    batch: Mutex<Batch>,
    /// Held through a batched add, so threads sharing the store add one at a time (they share
    /// the batch's locks). Taken before `batch`.
    adding: Mutex<()>,
}

/// Paths written but not yet registered, in the order they were added.
struct Batch {
    /// Whether adds are batched at all.
    active: bool,
    /// The pending paths with their metadata, in the order they were added.
    pending: Vec<Pending>,
    /// Index of each pending path in `pending`.
    index: HashMap<StorePath, usize>,
    /// Sum of the pending paths' NAR sizes.
    bytes: u64,
    /// The lock stripes held for the pending paths, by stripe name.
    locks: HashMap<String, File>,
    /// Flush at this many pending paths (`BATCH_MAX_PATHS` unless set).
    max_paths: usize,
}

/// A path renamed into place whose registration waits for the end of its batch.
struct Pending {
    info: PathInfo,
    outputs: Vec<(String, StorePath)>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

impl LocalStore {
    /// Opens (creating if needed) the store under the physical `root` for the logical store
    /// directory `dir`, and removes temporaries that interrupted adds left behind.
    pub fn open(root: &Path, dir: StoreDir) -> Result<LocalStore> {
        let real_dir = root.join(dir.as_str().trim_start_matches('/'));
        let state_dir = root.join("var/lixc");
        let locks_dir = state_dir.join("locks");
        for d in [&real_dir, &locks_dir] {
            fs::create_dir_all(d).map_err(io_at(d))?;
        }
        let db_path = state_dir.join("db.sqlite");
        let conn = Connection::open(&db_path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Switching to WAL needs an exclusive moment; another process opening the store at the
        // same time can make it fail with "busy" without waiting, so retry.
        let mut tries = 0;
        loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                Ok(_) => break,
                Err(e) if tries < 200 && is_busy(&e) => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e.into()),
            }
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        let store = LocalStore {
            root: root.to_owned(),
            dir,
            real_dir,
            locks_dir,
            db: Mutex::new(conn),
            fsync: std::sync::atomic::AtomicBool::new(true),
            adding: Mutex::new(()),
            batch: Mutex::new(Batch {
                active: false,
                pending: Vec::new(),
                index: HashMap::new(),
                bytes: 0,
                locks: HashMap::new(),
                max_paths: BATCH_MAX_PATHS,
            }),
        };
        store.init_schema()?;
        store.clean_temporaries()?;
        Ok(store)
    }

    fn init_schema(&self) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        let recorded: Option<String> = tx
            .query_row("SELECT value FROM Meta WHERE key = 'storeDir'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match recorded {
            Some(d) if d != self.dir.as_str() => {
                return Err(Error::Store(format!(
                    "the store at '{}' holds paths for the store directory '{d}', not '{}'",
                    self.root.display(),
                    self.dir.as_str()
                )))
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO Meta (key, value) VALUES ('storeDir', ?1)",
                    [self.dir.as_str()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the connection leaves nothing half-done that SQLite does not
        // roll back itself, so a poisoned lock is still usable.
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns fsync on (the default) or off. Off, an add is still atomic against the process
    /// being killed (the kernel keeps what was written), but a power loss or an operating system
    /// crash may leave a registered path whose contents were never written to disk: for
    /// throw-away stores where speed matters more (as CppNix, which does not fsync store paths
    /// by default). SQLite's own syncing is relaxed to match.
    pub fn set_fsync(&self, on: bool) -> Result<()> {
        self.fsync.store(on, Ordering::Relaxed);
        let mode = if on { "NORMAL" } else { "OFF" };
        self.conn()
            .execute_batch(&format!("PRAGMA synchronous = {mode};"))?;
        Ok(())
    }

    /// The logical store directory.
    pub fn store_dir(&self) -> &StoreDir {
        &self.dir
    }

    /// The physical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the store directory is on disk.
    pub fn real_store_dir(&self) -> &Path {
        &self.real_dir
    }

    /// Where `path` is on disk.
    pub fn real_path(&self, path: &StorePath) -> PathBuf {
        self.real_dir.join(path.to_string())
    }

    /// Parses a full store path of this store.
    pub fn parse_path(&self, s: &str) -> Result<StorePath> {
        self.dir.parse(s)
    }

    /// Prints `path` with the logical store directory.
    pub fn print_path(&self, path: &StorePath) -> String {
        self.dir.print(path)
    }

    /// Takes the lock of the path with hash part `hash_part`; `None` when `wait` is false and
    /// another holder has it. Released when the returned file is dropped.
    fn lock(&self, hash_part: &str, wait: bool) -> Result<Option<File>> {
        let path = self.locks_dir.join(format!("{}.lock", lock_stripe(hash_part)));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_at(&path))?;
        let op = if wait {
            rustix::fs::FlockOperation::LockExclusive
        } else {
            rustix::fs::FlockOperation::NonBlockingLockExclusive
        };
        match rustix::fs::flock(&file, op) {
            Ok(()) => Ok(Some(file)),
            Err(e) if !wait && e == rustix::io::Errno::WOULDBLOCK => Ok(None),
            Err(e) => Err(io_at(&path)(e.into())),
        }
    }

    /// Removes temporaries whose writer is gone (its path lock is free).
    fn clean_temporaries(&self) -> Result<()> {
        let entries = fs::read_dir(&self.real_dir).map_err(io_at(&self.real_dir))?;
        for entry in entries {
            let entry = entry.map_err(io_at(&self.real_dir))?;
            let name = entry.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
                continue;
            };
            let Some(hash_part) = rest.get(..HASH_PART_LEN) else {
                continue;
            };
            if let Some(_lock) = self.lock(hash_part, false)? {
                remove_tree(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Whether `path` is registered (paths pending in this store's batch count as valid).
    pub fn is_valid(&self, path: &StorePath) -> Result<bool> {
        if self.batch().index.contains_key(path) {
            return Ok(true);
        }
        let conn = self.conn();
        let found: Option<i64> = conn
            .prepare_cached("SELECT id FROM ValidPaths WHERE path = ?1")?
            .query_row([self.dir.print(path)], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    /// Every registered path, in order (pending paths included).
    pub fn valid_paths(&self) -> Result<Vec<StorePath>> {
        let pending: Vec<StorePath> = self.batch().index.keys().cloned().collect();
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT path FROM ValidPaths ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = pending;
        for row in rows {
            out.push(self.dir.parse(&row?)?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// What the database knows about `path`, or `None` if it is not valid.
    pub fn query_path_info(&self, path: &StorePath) -> Result<Option<PathInfo>> {
        if let Some((info, _)) = self.pending_info(path) {
            return Ok(Some(info));
        }
        let conn = self.conn();
        let row = conn
            .prepare_cached(
                "SELECT id, hash, registrationTime, deriver, narSize, ca FROM ValidPaths WHERE path = ?1",
            )?
            .query_row(
                [self.dir.print(path)],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, hash, registration_time, deriver, nar_size, ca)) = row else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT v.path FROM Refs r JOIN ValidPaths v ON r.reference = v.id WHERE r.referrer = ?1",
        )?;
        let mut references = BTreeSet::new();
        for r in stmt.query_map([id], |r| r.get::<_, String>(0))? {
            references.insert(self.dir.parse(&r?)?);
        }
        Ok(Some(PathInfo {
            path: path.clone(),
            nar_hash: Hash::parse_any(&hash, None)?,
            nar_size: u64::try_from(nar_size).unwrap_or(0),
            references,
            deriver: deriver.map(|d| self.dir.parse(&d)).transpose()?,
            registration_time,
            ca,
        }))
    }

    /// The outputs the database records for the derivation at `drv_path`.
    pub fn derivation_outputs(&self, drv_path: &StorePath) -> Result<BTreeMap<String, StorePath>> {
        if let Some((_, outputs)) = self.pending_info(drv_path) {
            return Ok(outputs.into_iter().collect());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT o.id, o.path FROM DerivationOutputs o JOIN ValidPaths v ON o.drv = v.id WHERE v.path = ?1",
        )?;
        let mut out = BTreeMap::new();
        for row in stmt.query_map([self.dir.print(drv_path)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })? {
            let (id, path) = row?;
            out.insert(id, self.dir.parse(&path)?);
        }
        Ok(out)
    }

    /// Reads and parses the valid derivation at `drv_path`.
    pub fn read_derivation(&self, drv_path: &StorePath) -> Result<Derivation> {
        if !self.is_valid(drv_path)? {
            return Err(Error::NotValid(self.dir.print(drv_path)));
        }
        let Some(name) = drv_path.name().strip_suffix(".drv") else {
            return Err(Error::Store(format!(
                "'{}' is not a derivation (its name does not end in '.drv')",
                self.dir.print(drv_path)
            )));
        };
        let real = self.real_path(drv_path);
        let text = fs::read(&real).map_err(io_at(&real))?;
        Derivation::from_aterm(&self.dir, name, &text)
    }

    /// Writes the NAR of the valid path `path` to `w`.
    pub fn dump_nar(&self, path: &StorePath, w: &mut impl Write) -> Result<()> {
        if !self.is_valid(path)? {
            return Err(Error::NotValid(self.dir.print(path)));
        }
        nar::dump_path(&self.real_path(path), w)
    }

    /// Adds a text object (`builtins.toFile`, a `.drv` file) referring to `references`.
    pub fn add_text(
        &self,
        name: &str,
        contents: &[u8],
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath> {
        let hash = Hash::digest(HashAlgo::Sha256, contents);
        let path = self.dir.make_text_path(name, &hash, references)?;
        let node = NarNode::Regular {
            executable: false,
            contents: contents.to_vec(),
        };
        let ca = format!("text:sha256:{}", hash.to_base32());
        self.add_object(&path, &node, references, None, Some(ca), &[])?;
        Ok(path)
    }

    /// Writes the derivation's `.drv` file (a text object referring to its inputs) and records
    /// its output paths. Its inputs must be valid.
    pub fn add_derivation(&self, drv: &Derivation) -> Result<StorePath> {
        let text = drv.to_aterm(&self.dir)?;
        let references = drv.references();
        let hash = Hash::digest(HashAlgo::Sha256, &text);
        let path = self
            .dir
            .make_text_path(&format!("{}.drv", drv.name), &hash, &references)?;
        let outputs: Vec<(String, StorePath)> = drv.output_paths(&self.dir)?.into_iter().collect();
        let node = NarNode::Regular {
            executable: false,
            contents: text,
        };
        let ca = format!("text:sha256:{}", hash.to_base32());
        self.add_object(&path, &node, &references, None, Some(ca), &outputs)?;
        Ok(path)
    }

    /// Adds a file-system tree given as a NAR node, content-addressed by `method`: NAR +
    /// SHA-256 (`references` allowed, a reference to the path itself included with
    /// `self_reference`) or the flat SHA-256 of a regular file.
    pub fn add_node(
        &self,
        name: &str,
        node: &NarNode,
        method: FileIngestionMethod,
        references: &BTreeSet<StorePath>,
    ) -> Result<StorePath> {
        let (hash, node) = match method {
            FileIngestionMethod::Recursive => (node.nar_hash()?.0, node.clone()),
            FileIngestionMethod::Flat => match node {
                NarNode::Regular { contents, .. } => (
                    Hash::digest(HashAlgo::Sha256, contents),
                    NarNode::Regular {
                        executable: false,
                        contents: contents.clone(),
                    },
                ),
                _ => {
                    return Err(Error::Store(format!(
                        "cannot add '{name}' flat: only regular files have a flat hash"
                    )))
                }
            },
        };
        let ca = ContentAddress { method, hash };
        let path = self
            .dir
            .make_fixed_output_path(&ca, name, references, false)?;
        let ca_text = format!("fixed:{}{}", method.prefix(), ca.hash.to_typed_base32());
        self.add_object(&path, &node, references, None, Some(ca_text), &[])?;
        Ok(path)
    }

    /// Adds the file-system object at `src` (symlinks archived, not followed) under `name`.
    /// With `scan`, the contents are searched for the hash parts of every valid path, and those
    /// found become references (NAR + SHA-256 only).
    pub fn add_path(
        &self,
        src: &Path,
        name: &str,
        method: FileIngestionMethod,
        scan: bool,
    ) -> Result<StorePath> {
        let node = NarNode::from_path(src)?;
        let references = if scan && method == FileIngestionMethod::Recursive {
            let candidates = self.valid_paths()?;
            scan_references(&node.to_nar_bytes(), &candidates)
        } else {
            BTreeSet::new()
        };
        self.add_node(name, &node, method, &references)
    }

    /// Adds the object serialised in the NAR read from `r` under `name` (NAR + SHA-256). The
    /// NAR is validated completely before anything is written.
    pub fn add_nar(&self, name: &str, r: &mut impl Read) -> Result<StorePath> {
        let node = nar::parse_nar(r)?;
        let mut rest = [0u8; 1];
        if r.read(&mut rest)? != 0 {
            return Err(Error::BadNar("bytes after the end of the archive".into()));
        }
        self.add_node(
            name,
            &node,
            FileIngestionMethod::Recursive,
            &BTreeSet::new(),
        )
    }

    /// Writes `node` as `path` and registers it, unless it is already valid (see the module
    /// documentation for the steps and why they make adding atomic). In a batch, registering
    /// waits for the next flush.
    fn add_object(
        &self,
        path: &StorePath,
        node: &NarNode,
        references: &BTreeSet<StorePath>,
        deriver: Option<&StorePath>,
        ca: Option<String>,
        outputs: &[(String, StorePath)],
    ) -> Result<()> {
        if self.is_valid(path)? {
            return Ok(());
        }
        let batched = self.batch().active;
        let _adding = batched.then(|| self.adding.lock().unwrap_or_else(|e| e.into_inner()));
        let stripe = lock_stripe(path.hash_part());
        // Unbatched, the lock is held until the path is registered below; batched, the batch
        // holds it until its flush.
        let mut lock = None;
        if !batched {
            lock = Some(self.lock_waiting(path.hash_part())?);
        } else if !self.batch().locks.contains_key(stripe) {
            // Never wait for a lock while holding others: another process may be waiting for
            // one of ours. Registering our pending paths releases them all first.
            let file = match self.lock(path.hash_part(), false)? {
                Some(file) => file,
                None => {
                    self.flush()?;
                    self.lock_waiting(path.hash_part())?
                }
            };
            self.batch().locks.insert(stripe.to_string(), file);
        }
        if self.is_valid(path)? {
            return Ok(());
        }
        for r in references {
            if r != path && !self.is_valid(r)? {
                return Err(Error::Store(format!(
                    "cannot add '{}': its reference '{}' is not valid",
                    self.dir.print(path),
                    self.dir.print(r)
                )));
            }
        }
        let (nar_hash, nar_size) = node.nar_hash()?;
        let final_path = self.real_path(path);
        if fs::symlink_metadata(&final_path).is_ok() {
            // Left by an add that was interrupted before it registered the path.
            remove_tree(&final_path)?;
        }
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = self.real_dir.join(format!(
            "{TEMP_PREFIX}{}-{}-{n}",
            path.hash_part(),
            std::process::id()
        ));
        // In a batch, one `syncfs` at the flush replaces the fsyncs.
        let fsync = self.fsync.load(Ordering::Relaxed) && !batched;
        if let Err(e) = write_node(&temp, node, 0, fsync) {
            let _ = remove_tree(&temp);
            return Err(e);
        }
        fs::rename(&temp, &final_path).map_err(io_at(&final_path))?;
        let pending = Pending {
            info: PathInfo {
                path: path.clone(),
                nar_hash,
                nar_size,
                references: references.clone(),
                deriver: deriver.cloned(),
                registration_time: now(),
                ca,
            },
            outputs: outputs.to_vec(),
        };
        if batched {
            let full = {
                let mut batch = self.batch();
                let at = batch.pending.len();
                batch.index.insert(path.clone(), at);
                batch.bytes += nar_size;
                batch.pending.push(pending);
                batch.pending.len() >= batch.max_paths || batch.bytes >= BATCH_MAX_BYTES
            };
            if full {
                self.flush()?;
            }
            return Ok(());
        }
        if fsync {
            sync_dir(&self.real_dir)?;
        }
        crash_point("registering");
        self.register(std::slice::from_ref(&pending))?;
        drop(lock);
        Ok(())
    }

    /// Starts batching adds (see the module documentation): until [`LocalStore::end_batch`],
    /// paths are registered in groups at flushes instead of one by one.
    pub fn begin_batch(&self) {
        self.batch().active = true;
    }

    /// Makes every pending path durable (one `syncfs`, unless fsync is off) and registers them
    /// all in one transaction, releasing their locks. Nothing to do outside a batch.
    pub fn flush(&self) -> Result<()> {
        let mut batch = self.batch();
        if batch.pending.is_empty() {
            batch.locks.clear();
            return Ok(());
        }
        if self.fsync.load(Ordering::Relaxed) {
            let dir = File::open(&self.real_dir).map_err(io_at(&self.real_dir))?;
            rustix::fs::syncfs(&dir).map_err(|e| io_at(&self.real_dir)(e.into()))?;
        }
        crash_point("batch-registering");
        // On failure the paths stay pending (and locked), so a later flush can retry.
        self.register(&batch.pending)?;
        batch.pending.clear();
        batch.index.clear();
        batch.bytes = 0;
        batch.locks.clear();
        Ok(())
    }

    /// Flushes batches at `max_paths` pending paths instead of [`BATCH_MAX_PATHS`] (at least 1).
    pub fn set_batch_max_paths(&self, max_paths: usize) {
        self.batch().max_paths = max_paths.max(1);
    }

    /// Flushes and stops batching.
    pub fn end_batch(&self) -> Result<()> {
        self.flush()?;
        self.batch().active = false;
        Ok(())
    }

    fn batch(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pending path `path`'s metadata, if it is pending.
    fn pending_info(&self, path: &StorePath) -> Option<(PathInfo, Vec<(String, StorePath)>)> {
        let batch = self.batch();
        let p = &batch.pending[*batch.index.get(path)?];
        Some((p.info.clone(), p.outputs.clone()))
    }

    fn lock_waiting(&self, hash_part: &str) -> Result<File> {
        self.lock(hash_part, true)?
            .ok_or_else(|| Error::Store(format!("cannot take the lock of '{hash_part}'")))
    }

    /// Registers `paths` with their metadata in one transaction, in order (a path's references
    /// are registered already or come before it).
    fn register(&self, paths: &[Pending]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO ValidPaths (path, hash, registrationTime, deriver, narSize, ca)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut find = tx.prepare_cached("SELECT id FROM ValidPaths WHERE path = ?1")?;
            let mut add_ref = tx.prepare_cached(
                "INSERT OR IGNORE INTO Refs (referrer, reference) VALUES (?1, ?2)",
            )?;
            let mut add_output = tx.prepare_cached(
                "INSERT OR REPLACE INTO DerivationOutputs (drv, id, path) VALUES (?1, ?2, ?3)",
            )?;
            for p in paths {
                let info = &p.info;
                let printed = self.dir.print(&info.path);
                insert.execute(params![
                    printed,
                    info.nar_hash.to_typed_base16(),
                    info.registration_time,
                    info.deriver.as_ref().map(|d| self.dir.print(d)),
                    info.nar_size as i64,
                    info.ca
                ])?;
                let id: i64 = find.query_row([&printed], |r| r.get(0))?;
                for r in &info.references {
                    let rid: i64 = if *r == info.path {
                        id
                    } else {
                        find.query_row([self.dir.print(r)], |row| row.get(0))
                            .optional()?
                            .ok_or_else(|| Error::NotValid(self.dir.print(r)))?
                    };
                    add_ref.execute(params![id, rid])?;
                }
                for (name, out) in &p.outputs {
                    add_output.execute(params![id, name, self.dir.print(out)])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Re-hashes every registered path's NAR and compares hash and size with the database; also
    /// lists entries of the store directory that are not registered.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.flush()?;
        let mut report = VerifyReport::default();
        let valid = self.valid_paths()?;
        for path in &valid {
            report.checked += 1;
            let Some(info) = self.query_path_info(path)? else {
                continue;
            };
            let real = self.real_path(path);
            if fs::symlink_metadata(&real).is_err() {
                report.damaged.push(Damage {
                    path: path.clone(),
                    problem: "missing from the store".into(),
                });
                continue;
            }
            match nar::nar_hash_path(&real) {
                Ok((hash, size)) => {
                    if hash != info.nar_hash {
                        report.damaged.push(Damage {
                            path: path.clone(),
                            problem: format!(
                                "NAR hash is {} but the database says {}",
                                hash.to_typed_base32(),
                                info.nar_hash.to_typed_base32()
                            ),
                        });
                    } else if size != info.nar_size {
                        report.damaged.push(Damage {
                            path: path.clone(),
                            problem: format!(
                                "NAR size is {size} but the database says {}",
                                info.nar_size
                            ),
                        });
                    } else if let Some(problem) = self.check_content_address(&info, &real) {
                        report.damaged.push(Damage {
                            path: path.clone(),
                            problem,
                        });
                    }
                }
                Err(e) => report.damaged.push(Damage {
                    path: path.clone(),
                    problem: e.to_string(),
                }),
            }
        }
        let valid: BTreeSet<String> = valid.iter().map(|p| p.to_string()).collect();
        let entries = fs::read_dir(&self.real_dir).map_err(io_at(&self.real_dir))?;
        for entry in entries {
            let entry = entry.map_err(io_at(&self.real_dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !valid.contains(&name) {
                report.unregistered.push(name);
            }
        }
        report.unregistered.sort();
        Ok(report)
    }
}

impl LocalStore {
    /// Whether a content-addressed path's name still follows from its content address and its
    /// contents (the NAR hash already matched); a description of the mismatch if not.
    fn check_content_address(&self, info: &PathInfo, real: &Path) -> Option<String> {
        let ca = info.ca.as_deref()?;
        let (kind, hash) = if let Some(h) = ca.strip_prefix("text:") {
            ("text", h)
        } else if let Some(h) = ca.strip_prefix("fixed:r:") {
            ("recursive", h)
        } else if let Some(h) = ca.strip_prefix("fixed:") {
            ("flat", h)
        } else {
            return Some(format!("unknown content address '{ca}'"));
        };
        let hash = match Hash::parse_any(hash, None) {
            Ok(h) => h,
            Err(e) => return Some(format!("content address '{ca}': {e}")),
        };
        let flat_contents = || fs::read(real).ok().filter(|_| real.is_file());
        let computed = match kind {
            "text" => {
                let contents = flat_contents()?;
                if Hash::digest(HashAlgo::Sha256, &contents) != hash {
                    return Some(format!(
                        "contents do not hash to the content address '{ca}'"
                    ));
                }
                self.dir
                    .make_text_path(info.path.name(), &hash, &info.references)
            }
            "flat" => {
                let contents = flat_contents()?;
                if Hash::digest(hash.algo(), &contents) != hash {
                    return Some(format!(
                        "contents do not hash to the content address '{ca}'"
                    ));
                }
                let ca = ContentAddress {
                    method: FileIngestionMethod::Flat,
                    hash,
                };
                self.dir
                    .make_fixed_output_path(&ca, info.path.name(), &BTreeSet::new(), false)
            }
            _ => {
                if hash.algo() == HashAlgo::Sha256 && hash != info.nar_hash {
                    return Some(format!(
                        "the NAR does not hash to the content address '{ca}'"
                    ));
                }
                let mut refs = info.references.clone();
                let self_ref = refs.remove(&info.path);
                let ca = ContentAddress {
                    method: FileIngestionMethod::Recursive,
                    hash,
                };
                self.dir
                    .make_fixed_output_path(&ca, info.path.name(), &refs, self_ref)
            }
        };
        match computed {
            Ok(p) if p == info.path => None,
            Ok(p) => Some(format!(
                "its content address '{ca}' gives the path '{}'",
                self.dir.print(&p)
            )),
            Err(e) => Some(e.to_string()),
        }
    }
}

impl DerivationSource for LocalStore {
    fn read_derivation(&self, path: &StorePath) -> Result<Derivation> {
        LocalStore::read_derivation(self, path)
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        // A batch not ended explicitly is still registered; an error here leaves unregistered
        // paths, which the next add replaces.
        let _ = self.flush();
    }
}

/// The lock file a path with hash part `hash_part` shares (its first two characters).
fn lock_stripe(hash_part: &str) -> &str {
    hash_part.get(..2).unwrap_or(hash_part)
}

/// Seconds since the epoch.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Test hook: with `LIXC_STORE_CRASH_AT=<point>` the process aborts there, so tests can stop an
/// add exactly between its steps (the SIGKILL test stops it at random moments as well).
fn crash_point(point: &str) {
    if std::env::var_os("LIXC_STORE_CRASH_AT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_at(dir))
}

/// Writes `node` at `path` (which must not exist), read-only, with every file and directory
/// fsynced before this returns when `fsync` is set.
fn write_node(path: &Path, node: &NarNode, depth: usize, fsync: bool) -> Result<()> {
    if depth > nar::MAX_NAR_DEPTH {
        return Err(Error::BadNar(format!(
            "directories nested deeper than {}",
            nar::MAX_NAR_DEPTH
        )));
    }
    match node {
        NarNode::Regular {
            executable,
            contents,
        } => {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(io_at(path))?;
            f.write_all(contents).map_err(io_at(path))?;
            let mode = if *executable { 0o555 } else { 0o444 };
            f.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(io_at(path))?;
            if fsync {
                f.sync_all().map_err(io_at(path))?;
            }
        }
        NarNode::Symlink { target } => {
            std::os::unix::fs::symlink(OsStr::from_bytes(target), path).map_err(io_at(path))?;
        }
        NarNode::Directory(entries) => {
            fs::create_dir(path).map_err(io_at(path))?;
            for (name, child) in entries {
                check_entry_name(name)?;
                write_node(&path.join(OsStr::from_bytes(name)), child, depth + 1, fsync)?;
            }
            let f = File::open(path).map_err(io_at(path))?;
            f.set_permissions(fs::Permissions::from_mode(0o555))
                .map_err(io_at(path))?;
            if fsync {
                f.sync_all().map_err(io_at(path))?;
            }
        }
    }
    Ok(())
}

/// Removes a (read-only) tree: directories are made writable first.
fn remove_tree(path: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_at(path)(e)),
    };
    if meta.is_dir() {
        let mut stack = vec![path.to_owned()];
        while let Some(dir) = stack.pop() {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).map_err(io_at(&dir))?;
            for entry in fs::read_dir(&dir).map_err(io_at(&dir))? {
                let entry = entry.map_err(io_at(&dir))?;
                if entry.file_type().map_err(io_at(&dir))?.is_dir() {
                    stack.push(entry.path());
                }
            }
        }
        fs::remove_dir_all(path).map_err(io_at(path))
    } else {
        fs::remove_file(path).map_err(io_at(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, LocalStore) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let s = LocalStore::open(tmp.path(), StoreDir::default()).expect("opens");
        (tmp, s)
    }

    #[test]
    fn add_text_registers_and_writes() {
        let (_tmp, s) = store();
        let p = s
            .add_text("hello.txt", b"hi\n", &BTreeSet::new())
            .expect("adds");
        assert_eq!(
            s.print_path(&p),
            "/nix/store/0n8rj1cflhzhh0min74l7ml0ck57hkcc-hello.txt"
        );
        assert_eq!(fs::read(s.real_path(&p)).expect("written"), b"hi\n");
        let info = s.query_path_info(&p).expect("db").expect("valid");
        assert_eq!(info.nar_size, 120);
        assert!(info
            .ca
            .as_deref()
            .is_some_and(|c| c.starts_with("text:sha256:")));
        // Adding again is a no-op.
        assert_eq!(
            s.add_text("hello.txt", b"hi\n", &BTreeSet::new())
                .expect("adds"),
            p
        );
        let report = s.verify().expect("verifies");
        assert_eq!((report.checked, report.damaged.len()), (1, 0));
    }

    #[test]
    fn references_must_be_valid() {
        let (_tmp, s) = store();
        let missing =
            StorePath::from_base_name("7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a").expect("valid");
        let err = s
            .add_text("x", b"y", &[missing].into_iter().collect())
            .expect_err("invalid ref");
        assert!(err.to_string().contains("is not valid"), "{err}");
        assert!(s.valid_paths().expect("db").is_empty());
    }

    #[test]
    fn verify_reports_damage() {
        let (_tmp, s) = store();
        let p = s.add_text("a", b"one", &BTreeSet::new()).expect("adds");
        let real = s.real_path(&p);
        fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).expect("chmod");
        fs::write(&real, b"two").expect("damage");
        let report = s.verify().expect("verifies");
        assert_eq!(report.damaged.len(), 1);
        assert!(
            report.damaged[0].problem.contains("NAR hash"),
            "{:?}",
            report.damaged
        );
    }

    #[test]
    fn corrupt_derivation_is_a_clear_error() {
        let (_tmp, s) = store();
        let p = s
            .add_text("bad.drv", b"Derive([(\"out\",", &BTreeSet::new())
            .expect("adds");
        let err = s.read_derivation(&p).expect_err("corrupt");
        assert!(
            err.to_string().starts_with("malformed derivation at byte "),
            "{err}"
        );
        let text = s.add_text("text", b"x", &BTreeSet::new()).expect("adds");
        let err = s.read_derivation(&text).expect_err("not a derivation");
        assert!(err.to_string().contains("is not a derivation"), "{err}");
        let missing =
            StorePath::from_base_name("7g5giqf764p3y3zv7a8rqsy9sqqq5kw4-a.drv").expect("valid");
        let err = s.read_derivation(&missing).expect_err("not valid");
        assert!(err.to_string().contains("is not valid"), "{err}");
    }

    #[test]
    fn verify_checks_content_addresses() {
        let (_tmp, s) = store();
        let a = s.add_text("a", b"one", &BTreeSet::new()).expect("adds");
        let b = s.add_text("b", b"two", &BTreeSet::new()).expect("adds");
        assert!(s.verify().expect("verifies").damaged.is_empty());
        // The database claims `b` has another content address: `verify` notices even though
        // the NAR hash still matches.
        let ca: String = s
            .conn()
            .query_row(
                "SELECT ca FROM ValidPaths WHERE path = ?1",
                [s.print_path(&a)],
                |r| r.get(0),
            )
            .expect("ca");
        s.conn()
            .execute(
                "UPDATE ValidPaths SET ca = ?1 WHERE path = ?2",
                [ca, s.print_path(&b)],
            )
            .expect("tamper");
        let report = s.verify().expect("verifies");
        assert_eq!(report.damaged.len(), 1, "{report:?}");
        assert_eq!(report.damaged[0].path, b);
        assert!(
            report.damaged[0].problem.contains("content address"),
            "{report:?}"
        );
    }

    #[test]
    fn store_dir_is_recorded() {
        let tmp = tempfile::tempdir().expect("tempdir");
        LocalStore::open(tmp.path(), StoreDir::default()).expect("opens");
        let other = StoreDir::new("/gnu/store").expect("valid");
        let err = LocalStore::open(tmp.path(), other).err().expect("mismatch");
        assert!(err.to_string().contains("/nix/store"), "{err}");
    }
}
