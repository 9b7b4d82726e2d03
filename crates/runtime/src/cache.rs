#![allow(unsafe_code, reason = "cache entries are artifacts Brisk wrote, loaded by mapping them")]

//! A compilation cache: artifacts in a folder, keyed by a hash of the
//! module's bytes, the engine's settings and the Brisk version.
//!
//! Entries are written to a temporary file and renamed into place, so a
//! concurrent reader sees a whole entry or none, and an entry that is
//! mapped is never modified (a rewrite replaces the file).
//!
//! Every hit is verified whole before any of its code can run: the loader
//! checks the metadata against the checksum, then the cache checks the
//! rest of the file (the code, the symbols) against the header's code
//! hash ([`artifact::verify_code`]). An entry that fails either (damaged
//! on disk, or from other settings despite the key) is compiled again and
//! replaced.
//!
//! The folder is kept under a size limit ([`Cache::max_size`]): after a
//! new entry is written, the least recently used entries (by modification
//! time, which a hit sets to the present) are removed until the total
//! fits.

use crate::{Engine, Module};
use anyhow::{Context, Result};
use brisk_environ::artifact::{self, hash64};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A folder of compiled artifacts.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
    max_size: u64,
}

/// Where a module loaded through the cache came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Mapped from an existing entry, verified: no compilation.
    Hit(PathBuf),
    /// Compiled and stored as a new entry.
    Compiled(PathBuf),
    /// An entry existed but could not be loaded or failed verification
    /// (the reason); the module was compiled again and the entry replaced.
    Replaced(PathBuf, String),
    /// The entry could not be written (the reason): the module was
    /// compiled and loaded from memory.
    Uncached(String),
}

/// What a cache folder holds: see [`Cache::usage`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Entries (artifacts).
    pub entries: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// A file in the cache folder.
struct CacheFile {
    path: PathBuf,
    size: u64,
    /// For an entry, when it was last used.
    modified: SystemTime,
}

/// Temporary files older than this are left over from a writer that died
/// and are removed when the cache is trimmed.
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

impl Cache {
    /// The default size limit: 1 GiB.
    pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;

    /// A cache in `dir`, created on first store, with the default size
    /// limit.
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into(), max_size: Cache::DEFAULT_MAX_SIZE }
    }

    /// The user's cache folder: `$XDG_CACHE_HOME/brisk`, else
    /// `$HOME/.cache/brisk`.
    pub fn user_default() -> Option<Cache> {
        let non_empty = |v: std::ffi::OsString| (!v.is_empty()).then_some(PathBuf::from(v));
        let base = std::env::var_os("XDG_CACHE_HOME")
            .and_then(non_empty)
            .or_else(|| std::env::var_os("HOME").and_then(non_empty).map(|h| h.join(".cache")))?;
        Some(Cache::new(base.join("brisk")))
    }

    /// The same cache with another size limit, in bytes. The most recently
    /// written entry is kept even if it alone exceeds the limit.
    #[must_use]
    pub fn with_max_size(mut self, bytes: u64) -> Cache {
        self.max_size = bytes;
        self
    }

    /// The size limit in bytes.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry for `wasm` compiled by `engine`.
    pub fn entry_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let settings = engine.artifact_settings().text();
        let seed = hash64(hash64(0, artifact::BRISK_VERSION.as_bytes()), settings.as_bytes());
        let (a, b) = (hash64(seed, wasm), hash64(!seed, wasm));
        self.dir.join(format!("{a:016x}{b:016x}.{}", artifact::EXTENSION))
    }

    /// Loads `wasm` (binary or text) from its entry, or compiles it and
    /// stores the entry. The module's code is mapped from the entry either
    /// way. An entry is verified whole (code included) before it is used.
    ///
    /// # Errors
    ///
    /// Compilation errors. A cache that cannot be written is not an error:
    /// the outcome says so.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> Result<(Module, CacheOutcome)> {
        let path = self.entry_path(engine, wasm);
        let stale = match load_verified(engine, &path) {
            Ok(Some(module)) => {
                // Least recently used is by modification time. Best effort:
                // a folder shared read-only is still usable.
                let _ = std::fs::File::open(&path).and_then(|f| f.set_modified(SystemTime::now()));
                return Ok((module, CacheOutcome::Hit(path)));
            }
            Ok(None) => None,
            Err(why) => Some(why),
        };
        let bytes = engine.precompile_module(wasm)?;
        if let Err(e) = self.store(&path, &bytes) {
            // SAFETY: the bytes were just produced by this engine.
            let module = unsafe { Module::deserialize(engine, &bytes)? };
            return Ok((module, CacheOutcome::Uncached(format!("{e:#}"))));
        }
        // Trimming is best effort too: a failure leaves the cache larger.
        let _ = self.trim(&path);
        // SAFETY: the file was just written whole from bytes this engine
        // produced, and renamed into place.
        let module = unsafe { Module::deserialize_file(engine, &path)? };
        let outcome = match stale {
            Some(why) => CacheOutcome::Replaced(path, why),
            None => CacheOutcome::Compiled(path),
        };
        Ok((module, outcome))
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).with_context(|| format!("cannot create {}", self.dir.display()))?;
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let tmp = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
        let write = || -> std::io::Result<()> {
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, path)
        };
        write().inspect_err(|_| drop(std::fs::remove_file(&tmp))).with_context(|| format!("cannot write {}", path.display()))
    }

    /// The entries and the temporary files in the folder; none if it does
    /// not exist.
    fn files(&self) -> Result<(Vec<CacheFile>, Vec<CacheFile>)> {
        let (mut entries, mut temporaries) = (Vec::new(), Vec::new());
        let dir = match std::fs::read_dir(&self.dir) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((entries, temporaries)),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        for entry in dir {
            let entry = entry.with_context(|| format!("cannot read {}", self.dir.display()))?;
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            let (is_entry, is_temporary) = (ext == artifact::EXTENSION, ext.starts_with("tmp-"));
            if !is_entry && !is_temporary {
                continue;
            }
            // Another process may remove a file between listing and stat.
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let file = CacheFile { path, size: meta.len(), modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH) };
            match is_entry {
                true => entries.push(file),
                false => temporaries.push(file),
            }
        }
        Ok((entries, temporaries))
    }

    /// How many entries the folder holds and their total size.
    ///
    /// # Errors
    ///
    /// I/O errors other than the folder not existing.
    pub fn usage(&self) -> Result<CacheUsage> {
        let (entries, _) = self.files()?;
        Ok(CacheUsage { entries: entries.len(), bytes: entries.iter().map(|e| e.size).sum() })
    }

    /// Removes the least recently used entries until the rest fit in
    /// [`Cache::max_size`], never `keep` (the entry just written), and
    /// temporary files left by writers that died; returns how many entries
    /// were removed. Entries in use by a running process stay mapped (a
    /// removed file lives on until it is unmapped).
    fn trim(&self, keep: &Path) -> Result<usize> {
        let (mut entries, temporaries) = self.files()?;
        let now = SystemTime::now();
        for t in temporaries {
            if now.duration_since(t.modified).is_ok_and(|age| age > STALE_TEMPORARY) {
                let _ = std::fs::remove_file(t.path);
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        if total <= self.max_size {
            return Ok(0);
        }
        // Oldest first; the name breaks ties so that the order is stable.
        entries.sort_by(|a, b| a.modified.cmp(&b.modified).then_with(|| a.path.cmp(&b.path)));
        let mut removed = 0;
        for CacheFile { path, size, .. } in entries {
            if total <= self.max_size {
                break;
            }
            if path == keep {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                // Removed by another process meanwhile: gone all the same.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
            }
            total -= size;
        }
        Ok(removed)
    }

    /// Removes every entry (and leftover temporary file); returns how many
    /// files were removed. Files that are not Brisk's are left alone.
    ///
    /// # Errors
    ///
    /// I/O errors other than the folder not existing.
    pub fn clear(&self) -> Result<usize> {
        let (entries, temporaries) = self.files()?;
        let mut removed = 0;
        for path in entries.into_iter().chain(temporaries).map(|f| f.path) {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            removed += 1;
        }
        Ok(removed)
    }
}

/// The module in the entry at `path`, verified whole; `None` if there is
/// no entry, the reason if it is unusable.
fn load_verified(engine: &Engine, path: &Path) -> Result<Option<Module>, String> {
    // SAFETY: entries are artifacts Brisk wrote, replaced by rename and
    // never modified in place. Damage on disk is what the checks are for:
    // the loader checks the metadata, and `verify_code` the code, below,
    // before anything can call into it (the module is not yet returned);
    // on a mismatch the module is dropped, which unmaps it.
    let module = match unsafe { Module::deserialize_file(engine, path) } {
        Ok(module) => module,
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) => {
            return Ok(None);
        }
        Err(e) => return Err(format!("{e:#}")),
    };
    match artifact::verify_code(module.artifact_bytes()) {
        Ok(()) => Ok(Some(module)),
        Err(e) => Err(e.to_string()),
    }
}
