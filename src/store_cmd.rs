//! `lixc store`: the local store from the command line — `path-info`, `dump-nar`, `cat-nar`,
//! `add`, `add-nar` and `verify` — and how every command finds its store (`--store`,
//! `LIXC_STORE`, the data directory; `--store-dir`, `NIX_STORE_DIR`).

use std::io::{Read, Write};
use std::path::PathBuf;

use lix_store::{FileIngestionMethod, LocalStore, NarNode, StoreDir};

use crate::{EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE};

/// Where the store is: options shared by every command that opens one.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct StoreOptions {
    /// The store's physical root directory (default: `LIXC_STORE`, else
    /// `$XDG_DATA_HOME/lixc/store` or `~/.local/share/lixc/store`).
    #[arg(long = "store", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// The logical store directory, part of every store path (default: `NIX_STORE_DIR`, else
    /// `/nix/store`).
    #[arg(long = "store-dir", value_name = "DIR")]
    pub store_dir: Option<String>,
}

impl StoreOptions {
    /// Opens (creating if needed) the local store these options name.
    pub fn open(&self) -> Result<LocalStore, String> {
        let root = match (&self.store, std::env::var_os("LIXC_STORE").filter(|s| !s.is_empty())) {
            (Some(dir), _) => dir.clone(),
            (None, Some(dir)) => PathBuf::from(dir),
            (None, None) => lix_store::local::default_root()
                .ok_or("no store given and no home directory: use --store DIR or LIXC_STORE")?,
        };
        let dir = match &self.store_dir {
            Some(d) => d.clone(),
            None => std::env::var("NIX_STORE_DIR").unwrap_or_else(|_| "/nix/store".to_string()),
        };
        let dir = StoreDir::new(&dir).map_err(|e| e.to_string())?;
        let store =
            LocalStore::open(&root, dir).map_err(|e| format!("cannot open the store at '{}': {e}", root.display()))?;
        // `LIXC_STORE_FSYNC=0`: no fsync (atomic against a killed process, not a power loss).
        if std::env::var_os("LIXC_STORE_FSYNC").is_some_and(|v| v == "0") {
            store.set_fsync(false).map_err(|e| e.to_string())?;
        }
        Ok(store)
    }
}

/// One path in `path-info --json`, with the fields in the order `nix path-info --json` prints.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PathInfoJson {
    path: String,
    nar_hash: String,
    nar_size: u64,
    references: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deriver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
    registration_time: i64,
}

/// Arguments of `lixc store`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    store: StoreOptions,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Print what the store knows about valid paths (paths inside store objects allowed).
    PathInfo {
        /// Print JSON (as `nix path-info --json`).
        #[arg(long)]
        json: bool,
        /// The paths.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Write the NAR of a valid store path to standard output.
    DumpNar {
        /// The store path.
        path: String,
    },
    /// Print a file inside a NAR archive (`-` reads the archive from standard input).
    CatNar {
        /// The NAR file.
        nar: String,
        /// The file's path inside the archive, such as `/bin/hello` (empty for a NAR of one file).
        #[arg(default_value = "")]
        member: String,
    },
    /// Copy files or directories into the store and print their store paths.
    Add {
        /// Hash the file's contents (flat) instead of its NAR.
        #[arg(long)]
        flat: bool,
        /// The store path name (default: the file's base name).
        #[arg(long)]
        name: Option<String>,
        /// Register the valid store paths whose hashes occur in the contents as references.
        #[arg(long)]
        scan_references: bool,
        /// The files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Unpack a NAR archive into the store (NAR + SHA-256 addressed) and print its path.
    AddNar {
        /// The store path name.
        #[arg(long)]
        name: String,
        /// The NAR file (`-` for standard input).
        nar: String,
    },
    /// Re-hash every registered path and report those whose contents differ from the database.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `lixc store`.
pub fn run(args: Args) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_DIAGNOSTICS
        }
    }
}

fn read_input(file: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        bytes = std::fs::read(file).map_err(|e| format!("cannot read '{file}': {e}"))?;
    }
    Ok(bytes)
}

fn run_inner(args: Args) -> Result<u8, String> {
    if let Command::CatNar { nar, member } = &args.command {
        // Needs no store.
        let node = NarNode::from_nar_bytes(&read_input(nar)?).map_err(|e| format!("'{nar}': {e}"))?;
        let mut cur = &node;
        for part in member.split('/').filter(|p| !p.is_empty()) {
            cur = match cur {
                NarNode::Directory(entries) => entries
                    .get(part.as_bytes())
                    .ok_or_else(|| format!("'{member}' does not exist in the archive"))?,
                _ => return Err(format!("'{member}' does not exist in the archive (a parent is not a directory)")),
            };
        }
        let NarNode::Regular { contents, .. } = cur else {
            return Err(format!("'{member}' is not a regular file in the archive"));
        };
        write_stdout(contents)?;
        return Ok(EXIT_OK);
    }
    let store = args.store.open()?;
    let dir = store.store_dir().clone();
    match args.command {
        Command::CatNar { .. } => Ok(EXIT_OK),
        Command::PathInfo { json, paths } => {
            let mut out = Vec::new();
            let mut text = String::new();
            for p in &paths {
                let (path, _) = dir.split_path(p).map_err(|e| e.to_string())?;
                let info = store
                    .query_path_info(&path)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("path '{}' is not valid", dir.print(&path)))?;
                if json {
                    out.push(PathInfoJson {
                        path: dir.print(&path),
                        nar_hash: info.nar_hash.to_sri(),
                        nar_size: info.nar_size,
                        references: info.references.iter().map(|r| dir.print(r)).collect(),
                        deriver: info.deriver.as_ref().map(|d| dir.print(d)),
                        ca: info.ca.clone(),
                        registration_time: info.registration_time,
                    });
                } else {
                    text.push_str(&dir.print(&path));
                    text.push('\n');
                }
            }
            if json {
                text = serde_json::to_string(&out).map_err(|e| e.to_string())?;
                text.push('\n');
            }
            store.end_batch().map_err(|e| format!("cannot register the added paths: {e}"))?;
            write_stdout(text.as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::DumpNar { path } => {
            let p = dir.parse(&path).map_err(|e| e.to_string())?;
            let mut nar = Vec::new();
            store.dump_nar(&p, &mut nar).map_err(|e| e.to_string())?;
            write_stdout(&nar)?;
            Ok(EXIT_OK)
        }
        Command::Add { flat, name, scan_references, paths } => {
            if name.is_some() && paths.len() > 1 {
                eprintln!("error: --name needs exactly one path");
                return Ok(EXIT_USAGE);
            }
            let method = if flat { FileIngestionMethod::Flat } else { FileIngestionMethod::Recursive };
            let mut text = String::new();
            // Several paths are added as one batch (one `syncfs` and one transaction; see
            // `lix_store::local`); they are printed once registered.
            store.begin_batch();
            for src in &paths {
                let src = std::path::absolute(src).map_err(|e| format!("'{}': {e}", src.display()))?;
                let base = match &name {
                    Some(n) => n.clone(),
                    None => src
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .ok_or_else(|| format!("'{}' has no file name to name the store path by", src.display()))?,
                };
                let p = store.add_path(&src, &base, method, scan_references).map_err(|e| e.to_string())?;
                text.push_str(&dir.print(&p));
                text.push('\n');
            }
            store.end_batch().map_err(|e| format!("cannot register the added paths: {e}"))?;
            write_stdout(text.as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::AddNar { name, nar } => {
            let bytes = read_input(&nar)?;
            let p = store.add_nar(&name, &mut bytes.as_slice()).map_err(|e| format!("'{nar}': {e}"))?;
            write_stdout(format!("{}\n", dir.print(&p)).as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Verify { json } => {
            let report = store.verify().map_err(|e| e.to_string())?;
            if json {
                let o = serde_json::json!({
                    "checked": report.checked,
                    "damaged": report.damaged.iter().map(|d| serde_json::json!({
                        "path": dir.print(&d.path),
                        "problem": d.problem,
                    })).collect::<Vec<_>>(),
                    "unregistered": report.unregistered,
                });
                write_stdout(format!("{o}\n").as_bytes())?;
            } else {
                let mut text = String::new();
                for d in &report.damaged {
                    text.push_str(&format!("damaged: {}: {}\n", dir.print(&d.path), d.problem));
                }
                for u in &report.unregistered {
                    text.push_str(&format!("unregistered: {u}\n"));
                }
                text.push_str(&format!("checked {} paths, {} damaged\n", report.checked, report.damaged.len()));
                write_stdout(text.as_bytes())?;
            }
            Ok(if report.damaged.is_empty() { EXIT_OK } else { EXIT_DIAGNOSTICS })
        }
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| format!("cannot write to standard output: {e}"))
}
