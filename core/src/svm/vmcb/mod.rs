//! The VMCB (reference §1): typed control and state-save areas at the exact APM offsets, plus the
//! field table used to render a VMCB.
//!
//! Offsets are VMCB byte offsets (the save area starts at 0x400). Reading and writing go through
//! `PhysMem`; values are little-endian as in hardware.
#![allow(clippy::cast_possible_truncation, reason = "VMCB fields are fixed-size (APM Appendix B): a value is stored in its field's width")]
use crate::mem::phys::OutOfRange;
use crate::mem::{Hpa, PhysMem};
use serde::Serialize;

pub(crate) mod cache;
pub mod control;
pub mod fields;
pub(crate) mod save;

pub use control::VmcbControl;
pub use fields::{FieldValue, VmcbArea, VmcbField, decode_field, decode_value, dump, field};
pub use save::VmcbSave;
pub use control::control_f;
pub use save::save_f;

/// A VMCB is one 4 KiB page (reference §1.1).
pub const VMCB_SIZE: u64 = 0x1000;
/// The state-save area starts at VMCB+0x400 (reference §1.1).
pub const SAVE_AREA_OFFSET: u64 = 0x400;

/// `struct vmcb_seg`: u16 selector, u16 attrib, u32 limit, u64 base (reference §1.3).
/// `attrib` packs descriptor bits 47:40 into 7:0 and bits 55:52 into 11:8, so L is attrib bit 9
/// and D/B attrib bit 10 (APM 15.5.1 segment-attribute format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
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

/// A value stored at a fixed VMCB offset (little-endian), read from / written into a copy of
/// the 4 KiB VMCB page (one memory access per VMCB instead of one per field).
pub(crate) trait VmcbScalar: Sized {
    const SIZE: usize;
    fn load(page: &[u8; 4096], off: usize) -> Self;
    fn store(&self, page: &mut [u8; 4096], off: usize);
}

macro_rules! scalar {
    ($t:ty, $n:literal) => {
        impl VmcbScalar for $t {
            const SIZE: usize = $n;
            fn load(page: &[u8; 4096], off: usize) -> Self {
                <$t>::from_le_bytes(page[off..off + $n].try_into().expect("field inside the page"))
            }
            fn store(&self, page: &mut [u8; 4096], off: usize) {
                page[off..off + $n].copy_from_slice(&self.to_le_bytes());
            }
        }
    };
}
scalar!(u8, 1);
scalar!(u16, 2);
scalar!(u32, 4);
scalar!(u64, 8);

impl VmcbScalar for [u8; 15] {
    const SIZE: usize = 15;
    fn load(page: &[u8; 4096], off: usize) -> Self {
        crate::mem::phys::bytes_at(page, off)
    }
    fn store(&self, page: &mut [u8; 4096], off: usize) {
        page[off..off + 15].copy_from_slice(self);
    }
}

impl VmcbScalar for VmcbSeg {
    const SIZE: usize = 16;
    fn load(page: &[u8; 4096], off: usize) -> Self {
        VmcbSeg {
            selector: u16::load(page, off),
            attrib: u16::load(page, off + 2),
            limit: u32::load(page, off + 4),
            base: u64::load(page, off + 8),
        }
    }
    fn store(&self, page: &mut [u8; 4096], off: usize) {
        self.selector.store(page, off);
        self.attrib.store(page, off + 2);
        self.limit.store(page, off + 4);
        self.base.store(page, off + 8);
    }
}

/// One field of a VMCB at its APM offset, to read or write in place in a VMCB page (what the
/// hardware's world switches and L0's emulation do on their hot paths) instead of parsing the
/// whole VMCB. Generated per area: `save_f::rip`, `control_f::exit_code`, ….
pub struct Field<T> {
    pub off: usize,
    ty: std::marker::PhantomData<fn() -> T>,
}

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Field<T> {}

#[allow(private_bounds)]
impl<T: VmcbScalar> Field<T> {
    pub const fn at(off: usize) -> Self {
        Field { off, ty: std::marker::PhantomData }
    }
    #[inline]
    pub fn get(self, page: &[u8; 4096]) -> T {
        T::load(page, self.off)
    }
    #[inline]
    pub fn set(self, page: &mut [u8; 4096], v: T) {
        v.store(page, self.off)
    }
    /// The field's address in the VMCB at `vmcb`.
    pub fn addr(self, vmcb: Hpa) -> Hpa {
        vmcb.add(self.off as u64)
    }
}

impl Field<u64> {
    /// Reads the field of the VMCB at `vmcb` straight from memory.
    pub fn read(self, mem: &PhysMem, vmcb: Hpa) -> Result<u64, OutOfRange> {
        mem.read_u64(self.addr(vmcb))
    }
    /// Writes the field of the VMCB at `vmcb` straight to memory.
    pub fn write(self, mem: &mut PhysMem, vmcb: Hpa, v: u64) -> Result<(), OutOfRange> {
        mem.write_u64(self.addr(vmcb), v)
    }
}

/// Reads the whole VMCB page at `vmcb`.
pub(crate) fn read_page(mem: &PhysMem, vmcb: Hpa) -> Result<[u8; 4096], OutOfRange> {
    let mut page = [0u8; 4096];
    mem.read(vmcb, &mut page)?;
    Ok(page)
}

/// Declares a VMCB area struct whose fields live at fixed VMCB offsets, with `read_from`,
/// `write_to`, the in-place descriptors (`$fmod::field`) and the field table `FIELDS` (name, APM
/// name, offset, size, meaning, APM section) generated from the same declaration: each field is
/// `pub name: Type = offset { "APM name", "APM section", "meaning" },`.
macro_rules! vmcb_area {
    ($(#[$m:meta])* pub struct $name:ident, area $area:ident, fields $fmod:ident {
        $($(#[$fm:meta])* pub $f:ident : $t:ty = $off:literal { $apm:literal, $sec:expr, $meaning:expr },)*
    }) => {
        /// One [`Field`](crate::svm::vmcb::Field) per field of the area, for reading or writing a
        /// single field of a VMCB page in place.
        #[allow(non_upper_case_globals)]
        pub mod $fmod {
            #[allow(unused_imports)]
            use super::*;
            $(#[doc = concat!($apm, " (VMCB+", stringify!($off), ").")]
            pub const $f: $crate::svm::vmcb::Field<$t> = $crate::svm::vmcb::Field::at($off);)*
        }
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Default)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
        }
        impl $name {
            /// Every field of the area with its APM name, VMCB byte offset, size, meaning and APM
            /// section, in layout order.
            pub const FIELDS: &'static [$crate::svm::vmcb::VmcbField] = &[$($crate::svm::vmcb::VmcbField {
                name: stringify!($f),
                apm_name: $apm,
                offset: $off,
                size: <$t as $crate::svm::vmcb::VmcbScalar>::SIZE as u8,
                area: $crate::svm::vmcb::VmcbArea::$area,
                meaning: $meaning,
                apm_section: $sec,
            }),*];
            /// Reads the area from the VMCB at `vmcb` (the VMCB base, not the area base).
            pub fn read_from(
                mem: &$crate::mem::PhysMem,
                vmcb: $crate::mem::Hpa,
            ) -> Result<Self, $crate::mem::phys::OutOfRange> {
                Ok(Self::from_page(&$crate::svm::vmcb::read_page(mem, vmcb)?))
            }
            /// Parses the area out of a copy of the VMCB page.
            pub fn from_page(page: &[u8; 4096]) -> Self {
                Self { $($f: $crate::svm::vmcb::VmcbScalar::load(page, $off),)* }
            }
            /// Stores the area into a copy of the VMCB page.
            pub fn to_page(&self, page: &mut [u8; 4096]) {
                $($crate::svm::vmcb::VmcbScalar::store(&self.$f, page, $off);)*
            }
            /// Writes every field of the area into the VMCB at `vmcb`; reserved bytes are untouched.
            pub fn write_to(
                &self,
                mem: &mut $crate::mem::PhysMem,
                vmcb: $crate::mem::Hpa,
            ) -> Result<(), $crate::mem::phys::OutOfRange> {
                let mut page = $crate::svm::vmcb::read_page(mem, vmcb)?;
                self.to_page(&mut page);
                mem.write(vmcb, &page)
            }
        }
    };
}
pub(crate) use vmcb_area;

/// A whole VMCB: control area + state-save area.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Vmcb {
    pub control: VmcbControl,
    pub save: VmcbSave,
}

impl Vmcb {
    /// Reads a VMCB. VMCBs are page-aligned (VMRUN checks rAX): the fields are parsed straight
    /// out of the page, without a copy.
    pub fn read_from(mem: &PhysMem, vmcb: Hpa) -> Result<Self, OutOfRange> {
        if vmcb.0 & 0xfff == 0 {
            let page = mem.page(vmcb)?;
            return Ok(Vmcb { control: VmcbControl::from_page(page), save: VmcbSave::from_page(page) });
        }
        let page = read_page(mem, vmcb)?;
        Ok(Vmcb { control: VmcbControl::from_page(&page), save: VmcbSave::from_page(&page) })
    }
    /// Writes every field; reserved bytes keep their contents.
    pub fn write_to(&self, mem: &mut PhysMem, vmcb: Hpa) -> Result<(), OutOfRange> {
        if vmcb.0 & 0xfff == 0 {
            let page = mem.page_for_write(vmcb)?;
            self.control.to_page(page);
            self.save.to_page(page);
            return Ok(());
        }
        let mut page = read_page(mem, vmcb)?;
        self.control.to_page(&mut page);
        self.save.to_page(&mut page);
        mem.write(vmcb, &page)
    }
}

#[cfg(test)]
mod tests;
