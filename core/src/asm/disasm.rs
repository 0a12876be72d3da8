//! Disassembler: iced-x86 decoder + Intel formatter configured close to NASM's style.

use iced_x86::{Code, Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};

/// Decode `bytes` as 64-bit code loaded at `origin`.
///
/// Returns `(address, instruction bytes, text)` per instruction; undecodable bytes come out
/// as `db 0x..` entries one byte at a time.
pub fn disassemble(bytes: &[u8], origin: u64) -> Vec<(u64, Vec<u8>, String)> {
    disassemble_bits(bytes, origin, 64)
}

/// The same for code of a `bitness`-bit code segment (16, 32 or 64: what the CPU's CS gives).
pub fn disassemble_bits(bytes: &[u8], origin: u64, bitness: u32) -> Vec<(u64, Vec<u8>, String)> {
    let mut out = Vec::new();
    disassemble_each_bits(bytes, origin, bitness, |addr, b, text| out.push((addr, b.to_vec(), text.to_string())));
    out
}

/// The same listing handed to `each` one instruction at a time (memory stays constant however
/// long the input is).
pub fn disassemble_each(bytes: &[u8], origin: u64, each: impl FnMut(u64, &[u8], &str)) {
    disassemble_each_bits(bytes, origin, 64, each)
}

/// [`disassemble_each`] for a `bitness`-bit code segment (16, 32 or 64; anything else as 64).
pub fn disassemble_each_bits(bytes: &[u8], origin: u64, bitness: u32, mut each: impl FnMut(u64, &[u8], &str)) {
    let bitness = if matches!(bitness, 16 | 32) { bitness } else { 64 };
    let mut fmt = IntelFormatter::new();
    let o = fmt.options_mut();
    o.set_uppercase_all(false);
    o.set_uppercase_hex(false);
    o.set_hex_prefix("0x");
    o.set_hex_suffix("");
    o.set_space_after_operand_separator(true);
    o.set_rip_relative_addresses(false);
    o.set_show_branch_size(false);
    o.set_branch_leading_zeros(false);
    o.set_leading_zeros(false);
    o.set_small_hex_numbers_in_decimal(false);
    o.set_memory_size_options(iced_x86::MemorySizeOptions::Always);

    let mut decoder = Decoder::with_ip(bitness, bytes, origin, DecoderOptions::NONE);
    let mut text = String::new();
    while decoder.can_decode() {
        let pos = decoder.position();
        let ins = decoder.decode();
        let len = ins.len();
        if ins.is_invalid() || len == 0 {
            let b = bytes[pos];
            each(origin.wrapping_add(pos as u64), &bytes[pos..pos + 1], &format!("db 0x{b:02x}"));
            // Resynchronise one byte later.
            if decoder.set_position(pos + 1).is_err() {
                break;
            }
            decoder.set_ip(origin.wrapping_add(pos as u64 + 1));
            continue;
        }
        text.clear();
        fmt.format(&ins, &mut text);
        each(ins.ip(), &bytes[pos..pos + len], &nasm_style(&ins, &text));
    }
}

/// Adjust iced's Intel text so NASM (and our assembler) reads it back as the same encoding.
fn nasm_style(ins: &Instruction, text: &str) -> String {
    let t = text.replace(" ptr ", " ");
    match ins.code() {
        Code::Pushfw => "pushfw".into(),
        Code::Popfw => "popfw".into(),
        Code::Push_imm16 | Code::Pushw_imm8 => {
            format!("push word {}", t.rsplit(' ').next().unwrap_or(""))
        }
        Code::Mov_r64_imm64 if ins.immediate64() <= u32::MAX as u64 => {
            t.replacen(", ", ", strict qword ", 1)
        }
        _ => t,
    }
}
