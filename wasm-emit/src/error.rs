//! Errors of the backend.
//!
//! Every error names the function it comes from, the offending instruction as printed CLIF
//! (when there is one), the rule that was broken, and a hint. An error never comes with a
//! partial module: lowering either returns a whole, validated module or an [`Error`].

use cranelift_codegen::ir;
use std::fmt;

/// A CLIF feature the backend does not lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// 128-bit integers.
    I128,
    /// SIMD vector types (fixed or dynamic).
    Vector,
    /// Atomic memory operations and fences.
    Atomics,
    /// Half precision floats.
    F16,
    /// Quad precision floats.
    F128,
    /// `try_call` and exception tables.
    Exceptions,
    /// Dynamic stack slots.
    DynamicStackSlots,
    /// Anything else, named.
    Other(&'static str),
}

impl Feature {
    /// A short name, as used in diagnostics and conformance reports.
    pub fn name(self) -> &'static str {
        match self {
            Feature::I128 => "i128",
            Feature::Vector => "vector types",
            Feature::Atomics => "atomics",
            Feature::F16 => "f16",
            Feature::F128 => "f128",
            Feature::Exceptions => "try_call/exceptions",
            Feature::DynamicStackSlots => "dynamic stack slots",
            Feature::Other(name) => name,
        }
    }
}

/// What kind of failure an [`Error`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input uses a feature the backend does not lower (i128, vectors, atomics, ...).
    Unsupported(Feature),
    /// The input is not valid CLIF, or breaks a rule of the backend (for example a callee
    /// declared with two different signatures).
    Invalid,
    /// The options are wrong (for example an unknown target).
    Config,
    /// The backend produced a module that does not validate: a bug in the backend.
    Internal,
}

/// A lowering error. Its details are boxed to keep `Result`s small; read them through
/// `Deref` (`err.kind`, `err.function`, ...).
#[derive(Debug, Clone)]
pub struct Error(Box<ErrorDetails>);

/// What an [`Error`] says.
#[derive(Debug, Clone)]
pub struct ErrorDetails {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// The function, as `%name`, or empty for module-level errors.
    pub function: String,
    /// The offending instruction printed as CLIF, if the error is about one.
    pub inst_text: Option<String>,
    /// The offending instruction, so a caller with a source map can find its line.
    pub inst: Option<ir::Inst>,
    /// The rule that was broken.
    pub message: String,
    /// How to fix or work around it.
    pub hint: Option<String>,
    /// The off-heap rule broken, for errors of the off-heap verifier.
    pub rule: Option<cranelift_offheap::Rule>,
}

impl Error {
    /// An error about a whole function (or the module, with an empty name).
    pub fn new(kind: ErrorKind, function: impl Into<String>, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorDetails {
            kind,
            function: function.into(),
            inst_text: None,
            inst: None,
            message: message.into(),
            hint: None,
            rule: None,
        }))
    }

    /// An error about one instruction of `func`.
    pub fn at_inst(
        kind: ErrorKind,
        func: &ir::Function,
        inst: ir::Inst,
        message: impl Into<String>,
    ) -> Self {
        Error(Box::new(ErrorDetails {
            kind,
            function: func.name.to_string(),
            inst_text: Some(func.dfg.display_inst(inst).to_string()),
            inst: Some(inst),
            message: message.into(),
            hint: None,
            rule: None,
        }))
    }

    /// Attach a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::ops::Deref for Error {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.function.is_empty() {
            write!(f, "in function {}", self.function)?;
            if let Some(inst) = &self.inst_text {
                write!(f, ", at `{inst}`")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
