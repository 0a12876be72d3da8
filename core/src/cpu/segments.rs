//! Segment registers (with the hidden descriptor part, in VMCB attribute format) and descriptor-table registers.

/// A segment register. `attrib` uses the VMCB packing (reference §1.3): descriptor bits 40..47 in
/// attrib[7:0] and bits 52..55 (AVL, L, D/B, G) in attrib[11:8].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub selector: u16,
    pub base: u64,
    pub limit: u32,
    pub attrib: u16,
}

impl Segment {
    pub fn long_mode(&self) -> bool {
        self.attrib & (1 << 9) != 0
    }
    /// The D/B bit: a 32-bit code segment (or a 32-bit stack).
    pub fn default_32(&self) -> bool {
        self.attrib & (1 << 10) != 0
    }
    pub fn dpl(&self) -> u8 {
        ((self.attrib >> 5) & 3) as u8
    }
}

/// GDTR / IDTR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DescTable {
    pub base: u64,
    pub limit: u16,
}
