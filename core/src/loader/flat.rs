//! Flat CONTRACT programs (CONTRACT §1): raw bytes, any file that is not ELF.
//!
//! The machine builds their state itself (`Machine::new`: the program at `machine::LOAD_ADDR`,
//! 64-bit mode with identity-mapped 1 GiB pages, GDT and page tables below it); that code stays
//! where it is. What lives here is only the rule that tells a flat program from a kernel.

/// True when `file` is loaded as a flat program: everything that does not start with the ELF
/// magic. (A flat program whose first four bytes are `7f 45 4c 46`, i.e. `jg` followed by a REX
/// prefix and so on, is read as ELF and refused with the ELF loader's error.)
pub fn is_flat(file: &[u8]) -> bool {
    !super::elf::is_elf(file)
}
