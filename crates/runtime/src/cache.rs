#![allow(unsafe_code, reason = "cache entries are artifacts Brisk wrote, loaded by mapping them")]

//! A compilation cache: artifacts in a folder, keyed by a hash of the
//! module's bytes, the engine's settings and the Brisk version.
//!
//! Entries are written to a temporary file and renamed into place, so a
//! concurrent reader sees a whole entry or none, and an entry that is
//! mapped is never modified (a rewrite replaces the file). An entry that
//! fails to load (corrupt, or from other settings despite the key) is
//! compiled again and replaced.

use crate::{Engine, Module};
use anyhow::{Context, Result};
use brisk_environ::artifact::{self, hash64};
use std::path::{Path, PathBuf};

/// A folder of compiled artifacts.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

/// Where a module loaded through the cache came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Mapped from an existing entry: no compilation.
    Hit(PathBuf),
    /// Compiled and stored as a new entry.
    Compiled(PathBuf),
    /// An entry existed but could not be loaded (the reason); the module
    /// was compiled again and the entry replaced.
    Replaced(PathBuf, String),
    /// The entry could not be written (the reason): the module was
    /// compiled and loaded from memory.
    Uncached(String),
}

impl Cache {
    /// A cache in `dir`, created on first store.
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
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
    /// way.
    ///
    /// # Errors
    ///
    /// Compilation errors. A cache that cannot be written is not an error:
    /// the outcome says so.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> Result<(Module, CacheOutcome)> {
        let path = self.entry_path(engine, wasm);
        let mut stale = None;
        if path.exists() {
            // SAFETY: entries are artifacts Brisk wrote, and are replaced by
            // rename, never modified in place.
            match unsafe { Module::deserialize_file(engine, &path) } {
                Ok(module) => return Ok((module, CacheOutcome::Hit(path))),
                Err(e) => stale = Some(format!("{e:#}")),
            }
        }
        let bytes = engine.precompile_module(wasm)?;
        if let Err(e) = self.store(&path, &bytes) {
            // SAFETY: the bytes were just produced by this engine.
            let module = unsafe { Module::deserialize(engine, &bytes)? };
            return Ok((module, CacheOutcome::Uncached(format!("{e:#}"))));
        }
        // SAFETY: as above: the file was just written whole and renamed.
        let module = unsafe { Module::deserialize_file(engine, &path)? };
        let outcome = match stale {
            Some(why) => CacheOutcome::Replaced(path, why),
            None => CacheOutcome::Compiled(path),
        };
        Ok((module, outcome))
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).with_context(|| format!("cannot create {}", self.dir.display()))?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let tmp = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
        let write = || -> std::io::Result<()> {
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, path)
        };
        write().inspect_err(|_| drop(std::fs::remove_file(&tmp))).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Removes every entry (and leftover temporary file); returns how many
    /// files were removed. Files that are not Brisk's are left alone.
    ///
    /// # Errors
    ///
    /// I/O errors other than the folder not existing.
    pub fn clear(&self) -> Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        let mut removed = 0;
        for entry in entries {
            let path = entry?.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if ext == artifact::EXTENSION || ext.starts_with("tmp-") {
                std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
