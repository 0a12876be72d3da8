//! cargo-fuzz target: checkpoint import must refuse any input with a one-line message or load a
//! run that can run, be saved and load again — never panic, hang or allocate beyond the caps.
//! Input starting with the v2 magic is taken as a whole file (exercising the header, the CRC and
//! the bounds, the decompression); anything else is taken as a v2 payload and sealed (stored, with
//! a correct CRC) first, so the fuzzer reaches the record parser and the validation behind the
//! checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nestscope_core::checkpoint::{self, container};

fuzz_target!(|data: &[u8]| {
    let file = if container::is_container(data) || data.first() == Some(&b'{') {
        data.to_vec()
    } else {
        container::seal_stored(data, 64)
    };
    match checkpoint::load(&file) {
        Err(e) => {
            let t = e.to_string();
            assert!(t.starts_with("invalid checkpoint: "));
            assert!(!t.chars().any(char::is_control), "{t:?}");
        }
        Ok(l) => {
            let mut sim = l.sim;
            let at = sim.machine().steps;
            let _ = sim.run(at.saturating_add(1000));
            let again = checkpoint::save(&sim, l.program.as_deref());
            checkpoint::load(&again).expect("a loaded checkpoint saved again loads");
        }
    }
});
