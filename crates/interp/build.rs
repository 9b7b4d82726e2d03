//! Chooses the executor's dispatch (see `src/exec.rs`): handlers that
//! tail-call the next one where LLVM turns those calls into jumps
//! (optimized builds for x86-64 and aarch64 without debug assertions, whose
//! precondition checks on raw pointers defeat sibling calls), a dispatch
//! loop elsewhere.
//! `BRISK_INTERP_DISPATCH=loop|tail` overrides the choice.
//! `BRISK_INTERP_PROFILE=1` builds a profiling executor (loop dispatch,
//! counting consecutive opcode pairs; see `exec::profile`).
//! Builds with loop dispatch, and any with `BRISK_INTERP_POISON=1`, poison
//! the slots that twin pairs leave unwritten (see `exec::DEAD_SLOT_POISON`),
//! so that the tests over them check the translator's choice of twins.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(brisk_tail_dispatch)");
    println!("cargo::rustc-check-cfg=cfg(brisk_interp_profile)");
    println!("cargo::rustc-check-cfg=cfg(brisk_interp_poison)");
    println!("cargo::rerun-if-env-changed=BRISK_INTERP_POISON");
    println!("cargo::rerun-if-env-changed=BRISK_INTERP_DISPATCH");
    println!("cargo::rerun-if-env-changed=BRISK_INTERP_PROFILE");
    let profile = std::env::var_os("BRISK_INTERP_PROFILE").is_some_and(|v| !v.is_empty() && v != "0");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let checks = std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some();
    let auto = matches!(opt.as_str(), "2" | "3" | "s" | "z")
        && matches!(arch.as_str(), "x86_64" | "aarch64")
        && !checks;
    let tail = !profile && match std::env::var("BRISK_INTERP_DISPATCH").as_deref() {
        Ok("loop") => false,
        Ok("tail") => true,
        _ => auto,
    };
    if profile {
        println!("cargo::rustc-cfg=brisk_interp_profile");
    }
    if tail {
        println!("cargo::rustc-cfg=brisk_tail_dispatch");
    }
    if !tail || std::env::var_os("BRISK_INTERP_POISON").is_some_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=brisk_interp_poison");
    }
}
