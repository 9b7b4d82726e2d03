//! The `artifact` target: compile, serialize, mutate, deserialize.
//!
//! Two kinds of mutation:
//!
//! - **sealed**: any byte outside `.text`, `.eh_frame` and
//!   `.memory_images` is flipped, set, inserted or deleted, or the
//!   artifact is cut short, and the checksum is left as it is. Loading
//!   must fail, or (for bytes the checksum does not cover and the loader
//!   never reads: symbols, section headers, padding) the module must
//!   behave exactly as the original on the differential harness. Those
//!   three sections are left alone: they are mapped and read in place,
//!   not checked (an artifact is native code, which is why
//!   `Module::deserialize` is unsafe; the cache checks whole entries).
//! - **resealed**: a byte of a metadata table (not one holding code
//!   offsets: function starts, trampolines and trap sites point into
//!   `.text`) is changed and the checksum recomputed with
//!   `brisk_environ::artifact::reseal`, so the loader's index and bounds
//!   checks are what stands between the bytes and the runtime. Loading
//!   and instantiation must give an error or an instance whose exports
//!   can be read; functions are not called (a forged type or global may
//!   legitimately change what the code does).

use crate::engine::Engine;
use crate::generate::Rng;
use crate::oracle::{self, DiffStats, Mismatch};
use crate::tiers::{BriskEngine, Tier};
use brisk_environ::artifact::{HEADER_FILE_OFFSET, Section, header, reseal};

/// What happened to one mutated artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtifactOutcome {
    /// `Module::deserialize` refused it.
    Refused,
    /// It loaded and behaved as the original (sealed mutation).
    Identical,
    /// It loaded and instantiation failed cleanly (resealed mutation).
    InstantiateRefused,
    /// It loaded, instantiated and its exports were read (resealed).
    Instantiated,
}

fn u64_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 8).map_or(0, |w| u64::from_le_bytes(w.try_into().expect("8 bytes")) as usize)
}

fn u32_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4).map_or(0, |w| u32::from_le_bytes(w.try_into().expect("4 bytes")) as usize)
}

/// The file range of `.text`.
pub fn text_range(artifact: &[u8]) -> std::ops::Range<usize> {
    header_range(artifact, header::TEXT_OFFSET, header::TEXT_SIZE)
}

/// A section's file range from the header's offset and size fields.
fn header_range(artifact: &[u8], offset: usize, size: usize) -> std::ops::Range<usize> {
    let start = u64_at(artifact, HEADER_FILE_OFFSET + offset);
    start..start + u64_at(artifact, HEADER_FILE_OFFSET + size)
}

/// What the loader does not check, as `Module::deserialize` documents:
/// `.text`, `.eh_frame` and `.memory_images`, which are mapped and read
/// in place (checking them would read every page), and which the caller
/// vouches for.
fn unchecked_ranges(artifact: &[u8]) -> [std::ops::Range<usize>; 3] {
    [
        text_range(artifact),
        header_range(artifact, header::EH_FRAME_OFFSET, header::EH_FRAME_SIZE),
        header_range(artifact, header::IMAGES_OFFSET, header::IMAGES_SIZE),
    ]
}

/// Sections whose records hold offsets into `.text`.
const CODE_OFFSETS: [Section; 4] = [Section::FuncStarts, Section::ArrayCalls, Section::TrapBlocks, Section::TrapSites];

/// A sealed mutation: one edit outside what the loader does not check
/// ([`unchecked_ranges`]), checksum untouched.
pub fn mutate_sealed(artifact: &mut Vec<u8>, rng: &mut Rng) {
    let unchecked = unchecked_ranges(artifact);
    let pick = |rng: &mut Rng, len: usize| loop {
        let at = rng.below(len as u64) as usize;
        if !unchecked.iter().any(|r| r.contains(&at)) {
            return at;
        }
    };
    match rng.below(5) {
        0 | 1 => {
            let at = pick(rng, artifact.len());
            artifact[at] ^= 1 << rng.below(8);
        }
        2 => {
            let at = pick(rng, artifact.len());
            artifact[at] = rng.next_u64() as u8;
        }
        // Inserting or deleting shifts what follows (`.text` included) and
        // changes the length, which the header records.
        3 => {
            let at = pick(rng, artifact.len());
            if rng.below(2) == 0 {
                artifact.insert(at, rng.next_u64() as u8);
            } else {
                artifact.remove(at);
            }
        }
        _ => artifact.truncate(rng.below(artifact.len() as u64) as usize),
    }
}

/// A resealed mutation of a metadata table; returns the section's name,
/// or `None` if no table qualifies (all empty).
pub fn mutate_resealed(artifact: &mut [u8], rng: &mut Rng) -> Option<&'static str> {
    let candidates: Vec<(Section, usize, usize)> = Section::ALL
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != Section::Header && !CODE_OFFSETS.contains(s))
        .map(|(i, s)| {
            let at = HEADER_FILE_OFFSET + header::DIRECTORY + 8 * i;
            (*s, u32_at(artifact, at), u32_at(artifact, at + 4))
        })
        .filter(|(_, _, size)| *size > 0)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let (section, offset, size) = candidates[rng.below(candidates.len() as u64) as usize];
    let at = offset + rng.below(size as u64) as usize;
    match rng.below(3) {
        0 => artifact[at] ^= 1 << rng.below(8),
        1 => artifact[at] = rng.next_u64() as u8,
        _ => artifact[at] = [0, 0xff, 1, 0x80][rng.below(4) as usize],
    }
    reseal(artifact).ok()?;
    Some(section.name())
}

/// Compiles `wasm` on `tier`, serializes it, mutates the artifact (sealed
/// or resealed, by `rng`) and checks the result.
#[allow(unsafe_code, reason = "deserializes mutated artifacts, the point of this target")]
pub fn check(wasm: &[u8], args: &[u8], tier: &Tier, rng: &mut Rng, stats: &mut DiffStats) -> Result<ArtifactOutcome, (Vec<u8>, Mismatch)> {
    let reference = BriskEngine::new(tier);
    let module = reference.module(wasm).map_err(|e| (Vec::new(), Mismatch(format!("a generated module does not compile: {e:#}"))))?;
    let mut bytes = module.serialize().map_err(|e| (Vec::new(), Mismatch(format!("serialize: {e:#}"))))?;
    drop(module);
    if rng.below(2) == 0 {
        mutate_sealed(&mut bytes, rng);
        // SAFETY: `.text` is the compiler's, unchanged or shifted: a shift
        // changes the file size, which the loader checks against the
        // (checksummed) header before anything runs.
        let loaded = unsafe { BriskEngine::from_artifact(tier, bytes.clone(), "brisk/deserialized") };
        if loaded.module(wasm).is_err() {
            return Ok(ArtifactOutcome::Refused);
        }
        // The fuel-counting reference first (it decides whether a call
        // ends), then the tier's own compilation and the loaded artifact.
        let mut engines: Vec<Box<dyn Engine>> = vec![Box::new(BriskEngine::new(&crate::tiers::TIERS[0])), Box::new(reference), Box::new(loaded)];
        oracle::differential(wasm, args, &mut engines, stats).map_err(|e| (bytes, e))?;
        Ok(ArtifactOutcome::Identical)
    } else {
        let Some(section) = mutate_resealed(&mut bytes, rng) else { return Ok(ArtifactOutcome::Refused) };
        // SAFETY: `.text` is the compiler's, unchanged; only a metadata
        // table that holds no code offset was edited, and no function is
        // called: loading and instantiation only read the tables, through
        // the loader's range checks, which is what this exercises.
        let mut loaded = unsafe { BriskEngine::from_artifact(tier, bytes.clone(), section) };
        if loaded.module(wasm).is_err() {
            return Ok(ArtifactOutcome::Refused);
        }
        match loaded.instantiate(wasm) {
            Err(_) => Ok(ArtifactOutcome::InstantiateRefused),
            Ok(mut instance) => {
                let _ = instance.funcs();
                let _ = instance.memories();
                let _ = instance.globals();
                let _ = instance.tables();
                Ok(ArtifactOutcome::Instantiated)
            }
        }
    }
}
