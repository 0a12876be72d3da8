//! Checkpoints: a whole machine saved to a self-describing, versioned JSON document that people
//! share, and loaded back with clear errors for anything corrupt or foreign.
pub mod format;
pub mod persist;
pub mod state;

pub use format::{CheckpointError, FORMAT_NAME, FORMAT_VERSION};
pub use persist::{load, load_sim, save, save_sim};
