//! Scenarios: the scenario file format, the built-in catalog and the expectation runner.
pub mod catalog;
pub(crate) mod format;
pub mod run;

pub use format::{Expectation, MachineConfig, Scenario, ScenarioError};

/// A program built into the app and CLI.
pub struct BuiltinProgram {
    pub name: &'static str,
    pub title: &'static str,
    pub source: &'static str,
    /// `nasm -f bin` output of `source`, committed beside it.
    pub binary: &'static [u8],
}

pub const HELLO: BuiltinProgram = BuiltinProgram {
    name: "hello",
    title: "Hello: console output and debug exit",
    source: include_str!("programs/hello.asm"),
    binary: include_bytes!("programs/hello.bin"),
};

#[cfg(test)]
mod tests;
