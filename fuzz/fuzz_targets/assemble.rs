//! cargo-fuzz target: the assembler must never panic or hang on any input text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nestscope_core::asm::{MAX_OUTPUT, assemble, assemble_all_errors, disassemble};

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let one = assemble(&src);
    let all = assemble_all_errors(&src);
    match (one, all) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            assert!(a.bytes.len() as u64 <= MAX_OUTPUT);
            for lm in &a.lines {
                assert!(lm.offset + lm.len as u64 <= a.bytes.len() as u64);
            }
            // Whatever we emit must also be safe to disassemble.
            let _ = disassemble(&a.bytes[..a.bytes.len().min(4096)], a.origin);
        }
        (Err(e), Err(es)) => assert_eq!(e, es[0]),
        _ => panic!("assemble and assemble_all_errors disagree"),
    }
});
