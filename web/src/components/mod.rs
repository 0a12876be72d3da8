//! The app's components, one per file.
pub mod checkpoint_bar;
pub mod console;
pub mod disassembly;
pub mod editor;
pub mod memory_view;
pub mod registers;
pub mod scenario_picker;
pub mod toolbar;
pub mod compare_view;
pub mod pat_layers_view;
