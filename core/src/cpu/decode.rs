//! Instruction fetch and decode through iced-x86.
use iced_x86::{Decoder, DecoderOptions, Instruction};

/// Decodes one instruction of a `bitness`-bit code segment (16, 32 or 64) from up to 15 bytes.
/// Returns `None` for bytes that are not a valid instruction (the caller raises #UD).
pub fn decode(bitness: u32, bytes: &[u8], ip: u64) -> Option<Instruction> {
    let mut d = Decoder::with_ip(bitness, bytes, ip, DecoderOptions::NONE);
    let ins = d.decode();
    if ins.is_invalid() { None } else { Some(ins) }
}

/// Decodes one 64-bit-mode instruction from up to 15 fetched bytes at `rip`.
/// Returns `None` for bytes that are not a valid instruction (the caller raises #UD).
pub fn decode64(bytes: &[u8], rip: u64) -> Option<Instruction> {
    decode(64, bytes, rip)
}
