//! Checkpoints: a whole run saved to a compact, versioned file that people share (v2, `.nsc`:
//! container.rs + v2.rs), and loaded back — v1 JSON documents too — with a one-line error naming
//! the field for anything corrupt, foreign or hostile (validate.rs).
#![allow(clippy::cast_possible_truncation, reason = "the v2 container's header and page records are fixed-size little-endian fields (counts and page numbers bounded by the 4 GiB RAM limit)")]
pub mod container;
pub mod format;
pub mod inspect;
pub mod records;
pub(crate) mod persist;
pub(crate) mod state;
pub(crate) mod v2;
pub(crate) mod validate;

pub use format::{CheckpointError, FORMAT_NAME, FORMAT_VERSION};
pub use state::BootRecord;
pub use persist::save_v1;

use crate::sim::Sim;

/// A loaded checkpoint.
pub struct Loaded {
    /// The run, ready to continue.
    pub sim: Sim,
    /// The program image the run started from, when the file records it (v2 written with it).
    pub program: Option<Vec<u8>>,
    /// The format version of the file (1: converted from JSON on load).
    pub version: u32,
    /// How the kernel was booted, for a multiboot kernel run (`program` is the kernel).
    pub boot: Option<BootRecord>,
}

/// A v2 file of the run; `program` is the image it started from (memory is deduplicated against
/// it; without it only the CONTRACT tables and L0's layout serve as the base).
pub fn save(sim: &Sim, program: Option<&[u8]>) -> Vec<u8> {
    v2::save(sim, program, None)
}

/// A v2 file of a multiboot kernel run: `kernel` is the image, `boot` how it was loaded (memory
/// is deduplicated against that boot).
pub fn save_kernel(sim: &Sim, kernel: &[u8], boot: &BootRecord) -> Vec<u8> {
    v2::save(sim, Some(kernel), Some(boot))
}

/// Loads a checkpoint of any supported version (v2 container, or a v1 JSON document).
pub fn load(file: &[u8]) -> Result<Loaded, CheckpointError> {
    if container::is_container(file) {
        return v2::load(file);
    }
    let first = file.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(CheckpointError::NotACheckpoint);
    }
    if file.len() > format::MAX_V1_BYTES {
        return Err(CheckpointError::TooLarge { bytes: file.len() as u64, max: format::MAX_V1_BYTES as u64 });
    }
    let text = std::str::from_utf8(file).map_err(|e| CheckpointError::NotJson(e.to_string()))?;
    let rec = persist::parse_v1(text)?;
    validate::record(&rec)?;
    let mem = persist::v1_memory(&rec)?;
    Ok(Loaded { sim: persist::sim_from_record(&rec, mem)?, program: None, version: 1, boot: None })
}

/// Loads a checkpoint of any version and returns the run.
pub fn load_sim(file: &[u8]) -> Result<Sim, CheckpointError> {
    load(file).map(|l| l.sim)
}
