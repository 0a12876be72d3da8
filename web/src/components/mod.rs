//! The app's components, one per file.
pub mod checkpoint_bar;
pub mod console;
pub mod disassembly;
pub mod registers;
pub mod toolbar;
