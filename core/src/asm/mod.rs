//! NASM-compatible (Intel syntax, 64-bit, flat binary) assembler built on iced-x86's encoder.
//!
//! `assemble` parses every line, then lays the program out in passes until label addresses
//! settle (instruction sizes only ever grow, so this terminates), and emits bytes in a final
//! strict pass where every symbol must be defined.
#![allow(clippy::cast_possible_truncation, reason = "the encoders narrow immediates, displacements and offsets to their field size after checking the range")]

mod directive;
mod driver;
mod emit;
mod encode;
mod expr;
mod lexer;
mod matching;
mod operand;
mod parser;
mod table;

pub(crate) mod disasm;

#[cfg(test)]
mod tests;

pub use disasm::{disassemble, disassemble_bits, disassemble_each, disassemble_each_bits};

use std::collections::BTreeMap;
use std::fmt;

/// Default load address when the source has no `org`.
pub const DEFAULT_ORIGIN: u64 = 0x10_0000;

/// Upper bound on emitted bytes (guards `times`/`resb` with huge counts).
pub const MAX_OUTPUT: u64 = 64 * 1024 * 1024;

/// Result of a successful assembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub origin: u64,
    pub bytes: Vec<u8>,
    /// One entry per statement line that emits (or may emit) bytes: source line -> bytes.
    pub lines: Vec<LineMap>,
    /// Labels and `equ` constants (local labels as `parent.local`).
    pub symbols: BTreeMap<String, u64>,
}

/// Maps a 1-based source line to the bytes it produced (`offset` is relative to `origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineMap {
    pub line: u32,
    pub offset: u64,
    pub len: u32,
}

/// An assembly error at a 1-based line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct AsmError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for AsmError {}

/// Assemble NASM-syntax source; returns the first error (by line) on failure.
pub fn assemble(source: &str) -> Result<Assembled, AsmError> {
    assemble_all_errors(source).map_err(|mut errs| errs.swap_remove(0))
}

/// Assemble, reporting every error found (sorted by line and column, never empty on `Err`).
pub fn assemble_all_errors(source: &str) -> Result<Assembled, Vec<AsmError>> {
    driver::run(source)
}
