//! Scenarios: the scenario file format, the built-in catalog and the expectation runner.
pub mod catalog;
pub(crate) mod format;
pub mod guide;
pub mod run;

pub use format::{Expectation, Guide, MachineConfig, MemtypeGrid, Migrate, Scenario, ScenarioError};

/// A program built into the app and CLI.
pub struct BuiltinProgram {
    /// Short name (for the CLI and URLs).
    pub name: &'static str,
    /// One line for menus.
    pub title: &'static str,
    /// The NASM source.
    pub source: &'static str,
    /// `nasm -f bin` output of `source`, committed beside it.
    pub binary: &'static [u8],
}

/// The hello program: console output, then the debug-exit port.
pub const HELLO: BuiltinProgram = BuiltinProgram {
    name: "hello",
    title: "Hello: console output and debug exit",
    source: include_str!("programs/hello.asm"),
    binary: include_bytes!("programs/hello.bin"),
};

#[cfg(test)]
mod tests;
