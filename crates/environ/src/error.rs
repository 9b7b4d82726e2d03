use std::fmt;

/// An error found while parsing, validating or translating a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WasmError {
    /// The module is malformed or invalid: the validator's message and the
    /// byte offset where it was found.
    Invalid {
        /// What the validator said.
        message: String,
        /// Byte offset in the module's binary.
        offset: u64,
    },
    /// The module uses a feature Brisk does not implement yet.
    Unsupported {
        /// What is missing.
        message: String,
        /// Byte offset in the module's binary.
        offset: u64,
    },
    /// A limit of the implementation (not of the spec) was exceeded.
    ImplLimitExceeded {
        /// Which limit.
        message: String,
        /// Byte offset in the module's binary.
        offset: u64,
    },
}

impl WasmError {
    /// The byte offset in the module the error refers to.
    pub fn offset(&self) -> u64 {
        match self {
            WasmError::Invalid { offset, .. }
            | WasmError::Unsupported { offset, .. }
            | WasmError::ImplLimitExceeded { offset, .. } => *offset,
        }
    }

    /// The message without the offset.
    pub fn message(&self) -> &str {
        match self {
            WasmError::Invalid { message, .. }
            | WasmError::Unsupported { message, .. }
            | WasmError::ImplLimitExceeded { message, .. } => message,
        }
    }

    /// An `Unsupported` error.
    #[cold]
    pub fn unsupported(message: impl Into<String>, offset: u64) -> Self {
        WasmError::Unsupported { message: message.into(), offset }
    }
}

impl fmt::Display for WasmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            WasmError::Invalid { .. } => "invalid module",
            WasmError::Unsupported { .. } => "unsupported feature",
            WasmError::ImplLimitExceeded { .. } => "implementation limit exceeded",
        };
        write!(f, "{kind} at byte offset {:#x}: {}", self.offset(), self.message())
    }
}

impl std::error::Error for WasmError {}

impl From<wasmparser::BinaryReaderError> for WasmError {
    #[cold]
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        let message = e.message();
        // wasmparser's bad-magic message is a multi-line debug dump of two
        // byte arrays; say it in one line.
        let message = if message.starts_with("magic header not detected") {
            "not a WebAssembly module: it does not start with the magic bytes `\\0asm`".to_string()
        } else {
            message.to_string()
        };
        WasmError::Invalid { message, offset: e.offset() }
    }
}

/// Result of environment operations.
pub type WasmResult<T> = Result<T, WasmError>;
