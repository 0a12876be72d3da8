//! The app's components, one per file.
pub mod checkpoint_bar;
pub mod compare_view;
pub mod console;
pub mod disassembly;
pub mod editor;
pub mod expectation;
pub mod memory_view;
pub mod model_picker;
pub mod page_walk;
pub mod pat_layers_view;
pub mod registers;
pub mod scenario_picker;
pub mod switch_trace;
pub mod toolbar;
pub mod vmcb_view;
