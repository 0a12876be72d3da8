//! Unit tests for the assembler: encodings, directives, expressions, layout and error messages.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

fn hex(src: &str) -> String {
    match assemble(&format!("bits 64\n{src}")) {
        Ok(a) => a.bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(e) => format!("ERR {e}"),
    }
}

fn err(src: &str) -> AsmError {
    assemble(src).expect_err("should fail")
}

#[test]
fn asm_mov_immediates_sized_like_nasm() {
    assert_eq!(hex("mov rax, 5"), "b805000000");
    assert_eq!(hex("mov rax, -5"), "48c7c0fbffffff");
    assert_eq!(hex("mov rax, 0x123456789"), "48b88967452301000000");
    assert_eq!(hex("mov rax, strict qword 5"), "48b80500000000000000");
    assert_eq!(hex("add eax, 5"), "83c005");
    assert_eq!(hex("add eax, 500"), "05f4010000");
    assert_eq!(hex("add ax, 0xffff"), "6683c0ff");
    assert_eq!(hex("push 5"), "6a05");
    assert_eq!(hex("push word 5"), "666a05");
    assert_eq!(hex("imul eax, 5"), "6bc005");
}

#[test]
fn asm_memory_operands() {
    assert_eq!(hex("lea rax, [rax*2]"), "488d0400");
    assert_eq!(hex("lea rax, [rax*3]"), "488d0440");
    assert_eq!(hex("lea rax, [rax+rsp]"), "488d0404");
    assert_eq!(hex("lea rax, [rbp]"), "488d4500");
    assert_eq!(hex("mov al, [0x1234]"), "8a042534120000");
    assert_eq!(hex("mov al, [qword 0x1234]"), "a03412000000000000");
    assert_eq!(hex("mov eax, [fs:0x10]"), "648b042510000000");
    assert_eq!(hex("mov eax, gs:[rax+8]"), "658b4008");
    assert_eq!(hex("mov eax, dword ptr [rbx]"), "8b03");
    assert_eq!(hex("mov eax, [eax]"), "678b00");
}

#[test]
fn asm_rip_relative_and_default_rel() {
    let a = assemble("bits 64\norg 0x1000\nx: lea rax, [rel x]").unwrap();
    assert_eq!(a.bytes, vec![0x48, 0x8d, 0x05, 0xf9, 0xff, 0xff, 0xff]);
    let b = assemble("default rel\norg 0x1000\nx: lea rax, [x]\nmov eax, [0x10]").unwrap();
    assert_eq!(&b.bytes[..7], &a.bytes[..]);
    assert_eq!(&b.bytes[7..], &[0x8b, 0x04, 0x25, 0x10, 0, 0, 0]);
    let c = assemble("default rel\nx: mov eax, [abs x]").unwrap();
    assert_eq!(&c.bytes[..3], &[0x8b, 0x04, 0x25]);
}

#[test]
fn asm_jumps_pick_short_and_near_forms() {
    assert_eq!(hex("jmp x\nx:"), "eb00");
    assert_eq!(hex("jz x\ntimes 200 nop\nx:").len(), 2 * (6 + 200));
    assert_eq!(&hex("jz x\ntimes 200 nop\nx:")[..4], "0f84");
    assert_eq!(hex("x: jmp x"), "ebfe");
    assert_eq!(hex("x: loop x"), "e2fe");
    assert_eq!(hex("jmp near x\nx:"), "e900000000");
    assert!(hex("x: times 200 nop\nloop x").contains("ERR"));
    assert_eq!(hex("call x\nx: ret 8"), "e800000000c20800");
}

#[test]
fn asm_string_and_system_instructions() {
    assert_eq!(hex("rep movsb"), "f3a4");
    assert_eq!(hex("repne scasq"), "f248af");
    assert_eq!(hex("vmrun"), "0f01d8");
    assert_eq!(hex("vmrun rax"), "0f01d8");
    assert_eq!(hex("vmrun eax"), "670f01d8");
    assert_eq!(
        hex("vmload\nvmsave\nvmmcall\nstgi\nclgi"),
        "0f01da0f01db0f01d90f01dc0f01dd"
    );
    assert_eq!(
        hex("invlpga rax, ecx\nskinit eax\nskinit"),
        "0f01df0f01de0f01de"
    );
    assert_eq!(hex("mov cr8, rax"), "440f22c0");
    assert_eq!(hex("xchg eax, eax"), "87c0");
    assert_eq!(hex("nop dword [rax]"), "0f1f00");
    assert_eq!(hex("int 3\nint3\nicebp"), "cd03ccf1");
}

#[test]
fn asm_data_directives() {
    assert_eq!(hex("db 1, 'ab', \"c\", 0"), "0161626300");
    assert_eq!(hex("db `a\\n\\x41`"), "610a41");
    assert_eq!(hex("dw 'abc'"), "61626300");
    assert_eq!(hex("dd -1"), "ffffffff");
    assert_eq!(hex("dq 0x1122334455667788"), "8877665544332211");
    assert_eq!(hex("times 3 db 7"), "070707");
    assert_eq!(hex("resb 2\nresw 1"), "00000000");
    assert_eq!(hex("db 1\nalign 4"), "01909090");
    assert_eq!(hex("db 1\nalign 4, db 0"), "01000000");
    assert!(hex("db 300").contains("does not fit in 8 bits"));
}

#[test]
fn asm_expressions_and_symbols() {
    let a = assemble("org 0x2000\nk equ 3*(4+1)\nstart: mov eax, k<<1 | 1\n.l: dd $-$$, .l - start, ~0 & 0xff, -k, 17 % 5, 0FFh, 101b, 'ab'").unwrap();
    assert_eq!(a.origin, 0x2000);
    assert_eq!(a.symbols["k"], 15);
    assert_eq!(a.symbols["start"], 0x2000);
    assert_eq!(a.symbols["start.l"], 0x2005);
    let d: Vec<u32> = a.bytes[5..]
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(d, vec![5, 5, 0xff, (-15i32) as u32, 2, 255, 5, 0x6261]);
    assert_eq!(&a.bytes[..5], &[0xb8, 31, 0, 0, 0]);
}

#[test]
fn asm_default_origin_and_line_map() {
    let a = assemble("nop\n\n; c\nlabel:\n  mov eax, 1 ; x\n").unwrap();
    assert_eq!(a.origin, DEFAULT_ORIGIN);
    assert_eq!(
        a.lines,
        vec![
            LineMap {
                line: 1,
                offset: 0,
                len: 1
            },
            LineMap {
                line: 5,
                offset: 1,
                len: 5
            }
        ]
    );
    assert_eq!(a.symbols["label"], DEFAULT_ORIGIN + 1);
}

#[test]
fn asm_forward_references_settle() {
    // Forward jump whose size depends on later code; and an equ defined after use.
    let src = "jmp there\nmov eax, later\ntimes 120 nop\nthere: ret\nlater equ 7";
    let a = assemble(src).unwrap();
    assert_eq!(&a.bytes[..2], &[0xeb, 125]);
    assert_eq!(&a.bytes[2..7], &[0xb8, 7, 0, 0, 0]);
}

#[test]
fn asm_error_messages() {
    let e = err("movq rax, rbx");
    assert_eq!((e.line, e.column), (1, 1));
    assert_eq!(e.message, "unknown mnemonic `movq`");
    assert_eq!(
        err("nop\n  inc [rax]").to_string(),
        "line 2, column 7: operand size not specified for `inc [rax]`"
    );
    let e = err("jmp foo");
    assert_eq!(e.message, "undefined label `foo`");
    assert_eq!(e.column, 5);
    assert_eq!(
        err("mov al, 300").message,
        "immediate 300 does not fit in 8 bits"
    );
    assert!(
        err("add rax, 0xffffffff")
            .message
            .contains("sign-extended 32-bit")
    );
    assert!(
        err("mov eax, bx")
            .message
            .contains("invalid combination of operands")
    );
    assert!(
        err("x: nop\nx: nop")
            .message
            .contains("already defined on line 1")
    );
    assert!(err("bits 32").message.contains("only 64-bit"));
    assert!(err("mov ah, r8b").message.contains("REX"));
    assert!(
        err("mov eax, (1+")
            .message
            .contains("expected an expression")
    );
    assert!(err("db 'abc").message.contains("unterminated string"));
    assert!(err("lea rax, [rax*7]").message.contains("scale"));
}

#[test]
fn asm_all_errors_are_collected() {
    let errs =
        assemble_all_errors("movq rax, 1\nnop\ninc [rax]\njmp nowhere\nmov al, 999\n").unwrap_err();
    let lines: Vec<u32> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![1, 3, 4, 5]);
}

#[test]
fn asm_hostile_inputs_fail_cleanly() {
    assert!(err("times 99999999999 db 0").message.contains("too large"));
    assert!(err("resb 0x7fffffffffff").message.contains("64 MiB"));
    assert!(err("align 3").message.contains("power of two"));
    assert!(err("times -1 nop").message.contains("negative"));
    assert!(
        err("times 60000000 mov rax, 0x123456789")
            .message
            .contains("64 MiB")
    );
    assert_eq!(
        assemble("times 1000000 nop").unwrap().bytes.len(),
        1_000_000
    );
    assert!(err("dd 1/0").message.contains("division by zero"));
    let deep = format!("mov eax, {}1{}", "(".repeat(500), ")".repeat(500));
    assert!(err(&deep).message.contains("nested too deeply"));
    // Labels that can never settle: the size of the code depends on itself.
    let r = assemble("a: times (b-a) nop\nb:");
    assert!(r.is_ok() || r.is_err());
    assert!(
        assemble("x: times 1-(y-x) nop\ny:").is_ok()
            || assemble("x: times 1-(y-x) nop\ny:").is_err()
    );
}

#[test]
fn asm_bracketed_directives_and_misc_syntax() {
    assert_eq!(
        hex("[bits 64]\n[org 0x500]\nsection .text\nglobal start\nstart: ret"),
        "c3"
    );
    assert_eq!(hex("label db 1\nval equ 2\nmov eax, val"), "01b802000000");
    assert_eq!(hex("LOCK ADD [RAX], EAX"), "f00100");
}

#[test]
fn asm_local_label_scope_and_dollar_match_nasm() {
    // Expected bytes from `nasm -f bin` (org 0): equ does not start a new local-label scope,
    // `$` in `times` is per repetition, and every `$` in one data line is the line's start.
    let src = "org 0\na1:\n.x: nop\nk equ 5\n.y: nop\njmp .x\njmp a1.y\ntimes 3 jmp $\nmov eax, a1.y\nx2: dq $, $";
    let a = assemble(src).unwrap();
    let want =
        "9090ebfcebfbebfeebfeebfeb801000000".to_string() + "1100000000000000" + "1100000000000000";
    assert_eq!(
        a.bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        want
    );
}
