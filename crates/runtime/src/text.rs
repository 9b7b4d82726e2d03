//! The text format: `.wat` to binary, with errors that point into the text
//! (file, line and column), for parse errors and validation errors alike.

use anyhow::Result;
use brisk_environ::WasmError;
use std::borrow::Cow;
use std::path::Path;
use wast::core::{FuncKind, ModuleField, ModuleKind};
use wast::parser::{self, ParseBuffer};
use wast::token::Span;

/// The text, if `bytes` is a module in the text format.
pub(crate) fn as_text(bytes: &[u8]) -> Option<&str> {
    if wat::Detect::from_bytes(bytes) != wat::Detect::WasmText {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// Turns `.wat` text into a binary; passes binaries through. Errors carry
/// a byte offset (into the text) either way, and the text's location,
/// named after `path` when given.
pub(crate) fn wat_to_wasm<'a>(bytes: &'a [u8], path: Option<&Path>) -> Result<Cow<'a, [u8]>> {
    let Some(text) = as_text(bytes) else { return Ok(bytes.into()) };
    // The `wast` parser (behind `wat`) keeps the error's span, so the
    // offset comes straight from it.
    let parse = || -> Result<Vec<u8>, wast::Error> {
        let buf = ParseBuffer::new(text)?;
        parser::parse::<wast::Wat<'_>>(&buf)?.encode()
    };
    parse().map(Into::into).map_err(|mut e| {
        let offset = e.span().offset() as u64;
        e.set_text(text);
        if let Some(path) = path {
            e.set_path(path);
        }
        anyhow::Error::new(WasmError::Invalid { message: e.to_string(), offset })
    })
}

/// An error from compiling the binary that `text` became, pointed back at
/// the text: a validation error inside a function body gets the line and
/// column of the instruction (or else of the function). Other errors pass
/// through.
pub(crate) fn locate(error: anyhow::Error, text: &str, wasm: &[u8], path: Option<&Path>) -> anyhow::Error {
    let Some(w) = error.downcast_ref::<WasmError>() else { return error };
    let Some(span) = span_of(text, wasm, w.offset()) else { return error };
    let mut located = wast::Error::new(span, w.message().to_string());
    located.set_text(text);
    if let Some(path) = path {
        located.set_path(path);
    }
    let message = located.to_string();
    let offset = w.offset();
    anyhow::Error::new(match w {
        WasmError::Invalid { .. } => WasmError::Invalid { message, offset },
        WasmError::Unsupported { .. } => WasmError::Unsupported { message, offset },
        WasmError::ImplLimitExceeded { .. } => WasmError::ImplLimitExceeded { message, offset },
    })
}

/// The span in `text` of what sits at byte `offset` of `wasm`: the
/// instruction, when the offset is inside a function body.
fn span_of(text: &str, wasm: &[u8], offset: u64) -> Option<Span> {
    // Which defined function, and which of its operators, holds the offset.
    let mut func = 0usize;
    let mut op = None;
    let mut found = false;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let wasmparser::Payload::CodeSectionEntry(body) = payload.ok()? else { continue };
        let range = body.range();
        if !(range.start..range.end).contains(&offset) {
            func += 1;
            continue;
        }
        let mut ops = body.get_operators_reader().ok()?;
        let mut index = 0usize;
        while !ops.eof() {
            let Ok((_, at)) = ops.read_with_offset() else { break };
            if at > offset {
                break;
            }
            op = Some(index);
            index += 1;
        }
        found = true;
        break;
    }
    if !found {
        return None;
    }
    // The same function in the text, parsed again with instruction spans:
    // its instructions are the body's operators one for one (the body's
    // final `end` has none; the function's span stands for it).
    let mut buf = ParseBuffer::new(text).ok()?;
    buf.track_instr_spans(true);
    let wast::Wat::Module(module) = parser::parse::<wast::Wat<'_>>(&buf).ok()? else { return None };
    let ModuleKind::Text(fields) = &module.kind else { return None };
    let (func_span, expression) = fields
        .iter()
        .filter_map(|f| match f {
            ModuleField::Func(f) => match &f.kind {
                FuncKind::Inline { expression, .. } => Some((f.span, expression)),
                FuncKind::Import(..) => None,
            },
            _ => None,
        })
        .nth(func)?;
    let instr = op.and_then(|i| expression.instr_spans.as_ref()?.get(i).copied());
    Some(instr.unwrap_or(func_span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_point_at_the_instruction() {
        let text = "(module\n  (func (result i32)\n    i32.const 1\n    i64.const 2\n    i32.add))\n";
        let wasm = wat_to_wasm(text.as_bytes(), None).unwrap();
        let err = brisk_environ::translate_module(&wasm, brisk_environ::wasm_features()).err().unwrap();
        let located = locate(anyhow::Error::new(err), text, &wasm, Some(Path::new("m.wat")));
        let message = located.to_string();
        assert!(message.contains("m.wat:5:5"), "{message}");
        assert!(located.downcast_ref::<WasmError>().is_some());
    }
}
