//! With tail-call dispatch, every handler must reach the next one by a
//! jump: a handler that calls it instead (LLVM declines a sibling call, for
//! instance when a local's address escapes) would grow the native stack
//! by a frame per instruction it executes, and a long loop would overflow
//! it. Rust does not promise tail calls, so this reads the machine code of
//! this very test binary (which links the executor, built like the product:
//! see Cargo.toml's profile for brisk-interp) and checks that no handler
//! calls through the table.

#[test]
fn handlers_jump_to_the_next_handler() {
    if !brisk_interp::exec::TAIL_DISPATCH || !cfg!(target_arch = "x86_64") {
        eprintln!("loop dispatch (or not x86-64): nothing to check");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = match std::process::Command::new("objdump").args(["-d", "--no-show-raw-insn", "-M", "intel"]).arg(&exe).output() {
        Ok(out) if out.status.success() => out,
        // objdump comes with binutils, which Rust's linker needs; if a
        // machine lacks it, say so rather than fail.
        _ => {
            eprintln!("objdump is not available: the check is skipped");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut handlers = 0;
    let mut tail_jumps = 0;
    let mut bad = Vec::new();
    let mut current: Option<&str> = None;
    for line in text.lines() {
        if line.ends_with(">:") {
            // The single instructions' handlers, the pairs' and the call
            // out's (which the call instructions' handlers reach).
            let handler = line.contains("brisk_interp4exec7handler")
                || line.contains("brisk_interp4exec12pair_handler")
                || line.contains("brisk_interp4exec16call_out_handler");
            current = handler.then_some(line);
            handlers += usize::from(current.is_some());
            continue;
        }
        let Some(f) = current else { continue };
        // A call instruction's handler must jump to the call out too: a
        // call would leave its frame on the native stack for the rest of
        // the entry, one per call out.
        let is_call = line.contains("\tcall ") || line.contains(" call ");
        if is_call && line.contains("call_out_handler") {
            bad.push(format!("{f} {}", line.trim()));
        }
        // The dispatch: an indirect transfer through `HANDLERS[op]`.
        if line.contains("QWORD PTR [") && line.contains("*8]") {
            if is_call {
                bad.push(format!("{f} {}", line.trim()));
            } else if line.contains("jmp") {
                tail_jumps += 1;
            }
        }
    }
    assert!(handlers > 250, "found {handlers} handlers in {}", exe.display());
    assert!(tail_jumps >= handlers / 2, "{tail_jumps} tail jumps for {handlers} handlers");
    assert!(bad.is_empty(), "handlers that call the next handler instead of jumping to it:\n{}", bad.join("\n"));
}
