//! Wasm backtraces attached to traps.

use crate::vm::{TrapRecord, lookup_pc};
use std::fmt;

/// One wasm frame of a backtrace.
#[derive(Clone, Debug)]
pub struct FrameInfo {
    /// The module's name, from its name section.
    pub module_name: Option<String>,
    /// The function's index in its module.
    pub func_index: u32,
    /// The function's name, from the name section.
    pub func_name: Option<String>,
    /// Offset of the pc in the function's machine code.
    pub code_offset: u32,
    /// The frame runs code that replaced the function's original code
    /// while the module ran ([`Module::tier_up`](crate::Module::tier_up)).
    pub tiered_up: bool,
}

/// The wasm frames active when a trap happened, innermost first. Attached
/// as context to every trap error: `error.downcast_ref::<WasmBacktrace>()`.
#[derive(Clone, Debug, Default)]
pub struct WasmBacktrace {
    frames: Vec<FrameInfo>,
    /// Frames beyond those kept.
    truncated: usize,
}

impl WasmBacktrace {
    /// The frames, innermost first.
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames
    }

    pub(crate) fn from_record(record: &TrapRecord) -> WasmBacktrace {
        let mut frames = Vec::new();
        for (i, &pc) in record.pcs[..record.len].iter().enumerate() {
            // Return addresses point after the call; look up the call itself.
            let lookup = if i == 0 { pc } else { pc - 1 };
            let frame = lookup_pc(lookup, |code, offset| code.frame_at(offset));
            if let Some(Some(frame)) = frame {
                frames.push(frame);
            }
        }
        WasmBacktrace { frames, truncated: record.depth - record.len }
    }
}

impl fmt::Display for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "wasm backtrace:")?;
        for (i, frame) in self.frames.iter().enumerate() {
            write!(f, "  {i:>3}: {}!", frame.module_name.as_deref().unwrap_or("<unknown>"))?;
            match &frame.func_name {
                Some(name) => write!(f, "{name}")?,
                None => write!(f, "<wasm function {}>", frame.func_index)?,
            }
            writeln!(f)?;
        }
        if self.truncated > 0 {
            writeln!(f, "  ... {} more frames", self.truncated)?;
        }
        Ok(())
    }
}

impl std::error::Error for WasmBacktrace {}
