//! Unit tests for the assembler: encodings, directives, expressions, errors.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

fn hex(src: &str) -> String {
    match assemble(&format!("bits 64\n{src}")) {
        Ok(a) => a.bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(e) => format!("ERR {e}"),
    }
}

#[test]
fn asm_basic_mov() {
    assert_eq!(hex("mov rax, 5"), "b805000000");
}
