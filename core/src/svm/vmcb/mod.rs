//! The VMCB (reference §1): typed control and state-save areas at the exact APM offsets, plus the
//! field table used to render a VMCB.
//!
//! Offsets are VMCB byte offsets (the save area starts at 0x400). Reading and writing go through
//! `PhysMem`; values are little-endian as in hardware.
use crate::mem::phys::OutOfRange;
use crate::mem::{Hpa, PhysMem};
use serde::{Deserialize, Serialize};

pub mod control;
pub mod fields;
pub mod save;

pub use control::VmcbControl;
pub use fields::{FieldValue, VmcbArea, VmcbField, decode_field, decode_value, dump, field};
pub use save::VmcbSave;

/// A VMCB is one 4 KiB page (reference §1.1).
pub const VMCB_SIZE: u64 = 0x1000;
/// The state-save area starts at VMCB+0x400 (reference §1.1).
pub const SAVE_AREA_OFFSET: u64 = 0x400;

/// `struct vmcb_seg`: u16 selector, u16 attrib, u32 limit, u64 base (reference §1.3).
/// `attrib` packs descriptor bits 47:40 into 7:0 and bits 55:52 into 11:8, so L is attrib bit 9
/// and D/B attrib bit 10 (APM 15.5.1 segment-attribute format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VmcbSeg {
    pub selector: u16,
    pub attrib: u16,
    pub limit: u32,
    pub base: u64,
}

impl VmcbSeg {
    pub const ATTR_P: u16 = 1 << 7;
    pub const ATTR_L: u16 = 1 << 9;
    pub const ATTR_DB: u16 = 1 << 10;
    pub const ATTR_G: u16 = 1 << 11;
    /// Long-mode code segment bit (attrib bit 9).
    pub const fn l(&self) -> bool {
        self.attrib & Self::ATTR_L != 0
    }
    /// Default operand size bit (attrib bit 10).
    pub const fn d(&self) -> bool {
        self.attrib & Self::ATTR_DB != 0
    }
}

/// A value stored at a fixed VMCB offset (little-endian).
pub(crate) trait VmcbScalar: Sized {
    const SIZE: usize;
    fn load(mem: &PhysMem, a: Hpa) -> Result<Self, OutOfRange>;
    fn store(&self, mem: &mut PhysMem, a: Hpa) -> Result<(), OutOfRange>;
}

macro_rules! scalar {
    ($t:ty, $n:literal, $rd:ident, $wr:ident) => {
        impl VmcbScalar for $t {
            const SIZE: usize = $n;
            fn load(mem: &PhysMem, a: Hpa) -> Result<Self, OutOfRange> {
                mem.$rd(a)
            }
            fn store(&self, mem: &mut PhysMem, a: Hpa) -> Result<(), OutOfRange> {
                mem.$wr(a, *self)
            }
        }
    };
}
scalar!(u8, 1, read_u8, write_u8);
scalar!(u16, 2, read_u16, write_u16);
scalar!(u32, 4, read_u32, write_u32);
scalar!(u64, 8, read_u64, write_u64);

impl VmcbScalar for [u8; 15] {
    const SIZE: usize = 15;
    fn load(mem: &PhysMem, a: Hpa) -> Result<Self, OutOfRange> {
        let mut b = [0u8; 15];
        mem.read(a, &mut b)?;
        Ok(b)
    }
    fn store(&self, mem: &mut PhysMem, a: Hpa) -> Result<(), OutOfRange> {
        mem.write(a, self)
    }
}

impl VmcbScalar for VmcbSeg {
    const SIZE: usize = 16;
    fn load(mem: &PhysMem, a: Hpa) -> Result<Self, OutOfRange> {
        Ok(VmcbSeg {
            selector: mem.read_u16(a)?,
            attrib: mem.read_u16(a.add(2))?,
            limit: mem.read_u32(a.add(4))?,
            base: mem.read_u64(a.add(8))?,
        })
    }
    fn store(&self, mem: &mut PhysMem, a: Hpa) -> Result<(), OutOfRange> {
        mem.write_u16(a, self.selector)?;
        mem.write_u16(a.add(2), self.attrib)?;
        mem.write_u32(a.add(4), self.limit)?;
        mem.write_u64(a.add(8), self.base)
    }
}

/// Declares a VMCB area struct whose fields live at fixed VMCB offsets, with `read_from`,
/// `write_to` and a `LAYOUT` list (name, VMCB offset, size) generated from the same declaration.
macro_rules! vmcb_area {
    ($(#[$m:meta])* pub struct $name:ident {
        $($(#[$fm:meta])* pub $f:ident : $t:ty = $off:literal,)*
    }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
        }
        impl $name {
            /// (field name, VMCB byte offset, size in bytes) of every field, in layout order.
            pub const LAYOUT: &'static [(&'static str, u64, usize)] =
                &[$((stringify!($f), $off, <$t as $crate::svm::vmcb::VmcbScalar>::SIZE)),*];
            /// Reads the area from the VMCB at `vmcb` (the VMCB base, not the area base).
            pub fn read_from(
                mem: &$crate::mem::PhysMem,
                vmcb: $crate::mem::Hpa,
            ) -> Result<Self, $crate::mem::phys::OutOfRange> {
                Ok(Self { $($f: $crate::svm::vmcb::VmcbScalar::load(mem, vmcb.add($off))?,)* })
            }
            /// Writes every field of the area into the VMCB at `vmcb`; reserved bytes are untouched.
            pub fn write_to(
                &self,
                mem: &mut $crate::mem::PhysMem,
                vmcb: $crate::mem::Hpa,
            ) -> Result<(), $crate::mem::phys::OutOfRange> {
                $($crate::svm::vmcb::VmcbScalar::store(&self.$f, mem, vmcb.add($off))?;)*
                Ok(())
            }
        }
    };
}
pub(crate) use vmcb_area;

/// A whole VMCB: control area + state-save area.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Vmcb {
    pub control: VmcbControl,
    pub save: VmcbSave,
}

impl Vmcb {
    pub fn read_from(mem: &PhysMem, vmcb: Hpa) -> Result<Self, OutOfRange> {
        Ok(Vmcb { control: VmcbControl::read_from(mem, vmcb)?, save: VmcbSave::read_from(mem, vmcb)? })
    }
    pub fn write_to(&self, mem: &mut PhysMem, vmcb: Hpa) -> Result<(), OutOfRange> {
        self.control.write_to(mem, vmcb)?;
        self.save.write_to(mem, vmcb)
    }
}

#[cfg(test)]
mod tests;
