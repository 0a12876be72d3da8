//! Intercept bits (reference §2.2), the MSR and I/O permission maps (§3.1, §3.3), the IOIO
//! EXITINFO1 format (§2.3) and the EVENTINJ / EXITINTINFO format (§1.2, APM 15.20).
#![allow(clippy::cast_possible_truncation, reason = "EXITINFO1, EVENTINJ and the permission maps are bit fields: each field is extracted in its width")]
use super::exit_table::Intercept;
use super::vmcb::VmcbControl;
use crate::mem::phys::OutOfRange;
use crate::mem::{Hpa, PhysMem};
use serde::Serialize;

/// True if intercept `i` is set in the control area.
pub fn is_intercepted(ctrl: &VmcbControl, i: Intercept) -> bool {
    let bit = i.bit();
    ctrl.intercept_words().get(bit as usize / 32).is_some_and(|w| w >> (bit % 32) & 1 == 1)
}

/// Sets or clears intercept `i`.
pub fn set_intercept(ctrl: &mut VmcbControl, i: Intercept, on: bool) {
    let bit = i.bit();
    if let Some(w) = ctrl.intercept_word_mut(bit as usize / 32) {
        *w = (*w & !(1 << (bit % 32))) | ((on as u32) << (bit % 32));
    }
}

/// Names of every set intercept bit ("RESERVED" for a set bit the table does not define).
pub fn intercept_names(ctrl: &VmcbControl) -> Vec<&'static str> {
    let words = ctrl.intercept_words();
    (0..words.len() as u32 * 32)
        .filter(|&b| words[b as usize / 32] >> (b % 32) & 1 == 1)
        .map(|b| Intercept::from_bit(b).map_or("RESERVED", Intercept::name))
        .collect()
}

// ---- MSR permission map (reference §3.1, APM 15.11) ----

/// The MSRPM is 8 KiB (two pages); the IOPM 12 KiB (three pages).
pub const MSRPM_SIZE: u64 = 0x2000;
pub const IOPM_SIZE: u64 = 0x3000;

/// Read-intercept bit index of `msr` in the MSRPM (the write bit is the next one), or `None` if the
/// MSR is outside the three ranges 0..=0x1FFF, 0xC000_0000..=0xC000_1FFF, 0xC001_0000..=0xC001_1FFF.
/// index = range × 16384 + (msr & 0x1FFF) × 2.
pub fn msrpm_bit(msr: u32) -> Option<u32> {
    let range = match msr & !0x1FFF {
        0 => 0,
        0xC000_0000 => 1,
        0xC001_0000 => 2,
        _ => return None,
    };
    Some(range * 16384 + (msr & 0x1FFF) * 2)
}

/// MSRPM lookup through a byte reader (`read_byte(address)`) so the map can live in any address
/// space. Bits 11:0 of `msrpm_base_pa` are ignored. MSRs outside the ranges are always intercepted
/// and read nothing. EXITINFO1 of the resulting exit is 0 for RDMSR, 1 for WRMSR (reference §2.3).
pub fn msrpm_intercepted_with<E>(
    mut read_byte: impl FnMut(u64) -> Result<u8, E>,
    msrpm_base_pa: u64,
    msr: u32,
    write: bool,
) -> Result<bool, E> {
    let Some(bit) = msrpm_bit(msr) else { return Ok(true) };
    let bit = bit + write as u32;
    let byte = read_byte((msrpm_base_pa & !0xFFF) + (bit / 8) as u64)?;
    Ok(byte >> (bit % 8) & 1 == 1)
}

/// [`msrpm_intercepted_with`] on system-physical memory.
pub fn msrpm_intercepted(mem: &PhysMem, msrpm_base_pa: u64, msr: u32, write: bool) -> Result<bool, OutOfRange> {
    msrpm_intercepted_with(|a| mem.read_u8(Hpa(a)), msrpm_base_pa, msr, write)
}

// ---- I/O permission map (reference §3.3, APM 15.10.1) ----

/// IOPM lookup: one bit per port; an access of `size` bytes (1, 2 or 4) checks the bit of every
/// port it touches, which may cross into the next byte or page (bits up to 0x10002). Bits 11:0 of
/// `iopm_base_pa` are ignored. Any set bit → intercepted.
pub fn iopm_intercepted_with<E>(
    mut read_byte: impl FnMut(u64) -> Result<u8, E>,
    iopm_base_pa: u64,
    port: u16,
    size: u8,
) -> Result<bool, E> {
    let base = iopm_base_pa & !0xFFF;
    for p in port as u64..port as u64 + size.max(1) as u64 {
        if read_byte(base + p / 8)? >> (p % 8) & 1 == 1 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// [`iopm_intercepted_with`] on system-physical memory.
pub fn iopm_intercepted(mem: &PhysMem, iopm_base_pa: u64, port: u16, size: u8) -> Result<bool, OutOfRange> {
    iopm_intercepted_with(|a| mem.read_u8(Hpa(a)), iopm_base_pa, port, size)
}

/// IOIO EXITINFO1 (reference §2.3): [0] TYPE (1 = IN), [2] STR, [3] REP, [4] SZ8, [5] SZ16,
/// [6] SZ32, [7] A16, [8] A32, [9] A64, [12:10] SEG, [31:16] PORT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IoioInfo {
    pub port: u16,
    /// True for IN/INS, false for OUT/OUTS.
    pub is_in: bool,
    pub string: bool,
    pub rep: bool,
    /// Operand size in bytes: 1, 2 or 4.
    pub size: u8,
    /// Address size in bits: 16, 32 or 64.
    pub addr_size: u8,
    /// Effective segment of a string instruction (ES = 0, CS, SS, DS, FS, GS).
    pub seg: u8,
}

impl IoioInfo {
    pub fn encode(&self) -> u64 {
        let sz = match self.size {
            1 => 1 << 4,
            2 => 1 << 5,
            _ => 1 << 6,
        };
        let a = match self.addr_size {
            16 => 1 << 7,
            32 => 1 << 8,
            _ => 1 << 9,
        };
        (self.port as u64) << 16
            | ((self.seg as u64 & 7) << 10)
            | a
            | sz
            | (self.rep as u64) << 3
            | (self.string as u64) << 2
            | self.is_in as u64
    }

    /// Decodes EXITINFO1; `None` if SZ or A is not one-hot.
    pub fn decode(v: u64) -> Option<Self> {
        let size = match (v >> 4) & 7 {
            1 => 1,
            2 => 2,
            4 => 4,
            _ => return None,
        };
        let addr_size = match (v >> 7) & 7 {
            1 => 16,
            2 => 32,
            4 => 64,
            _ => return None,
        };
        Some(IoioInfo {
            port: (v >> 16) as u16,
            is_in: v & 1 != 0,
            string: v & 4 != 0,
            rep: v & 8 != 0,
            size,
            addr_size,
            seg: ((v >> 10) & 7) as u8,
        })
    }
}

// ---- EVENTINJ / EXITINTINFO (reference §1.2, APM 15.20 / 15.7.2) ----

/// The TYPE field [10:8].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventType {
    /// 0: external or virtual interrupt (INTR).
    Intr,
    /// 2: NMI.
    Nmi,
    /// 3: exception (fault or trap).
    Exception,
    /// 4: software interrupt (INTn).
    SoftInt,
    /// 1, 5, 6, 7: reserved (illegal in EVENTINJ).
    Reserved(u8),
}

impl EventType {
    pub fn from_bits(t: u8) -> Self {
        match t & 7 {
            0 => EventType::Intr,
            2 => EventType::Nmi,
            3 => EventType::Exception,
            4 => EventType::SoftInt,
            r => EventType::Reserved(r),
        }
    }
    pub fn bits(self) -> u8 {
        match self {
            EventType::Intr => 0,
            EventType::Nmi => 2,
            EventType::Exception => 3,
            EventType::SoftInt => 4,
            EventType::Reserved(r) => r & 7,
        }
    }
}

pub const EVTINJ_VALID: u64 = 1 << 31;
pub const EVTINJ_VALID_ERR: u64 = 1 << 11;

/// EVENTINJ / EXITINTINFO as a 64-bit value: [7:0] vector, [10:8] type, [11] EV, [31] V,
/// [63:32] error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EventInj {
    pub valid: bool,
    pub vector: u8,
    pub ty: EventType,
    /// `Some` iff EV (error code valid) is set.
    pub error_code: Option<u32>,
}

impl EventInj {
    pub fn decode(v: u64) -> Self {
        EventInj {
            valid: v & EVTINJ_VALID != 0,
            vector: v as u8,
            ty: EventType::from_bits((v >> 8) as u8),
            error_code: (v & EVTINJ_VALID_ERR != 0).then_some((v >> 32) as u32),
        }
    }
    pub fn encode(&self) -> u64 {
        let (ev, err) = match self.error_code {
            Some(e) => (EVTINJ_VALID_ERR, (e as u64) << 32),
            None => (0, 0),
        };
        err | (self.valid as u64) << 31 | ev | (self.ty.bits() as u64) << 8 | self.vector as u64
    }
    /// A human-readable form, e.g. "V exception #PF(14) err=0x2" or "not valid".
    pub fn describe(&self) -> String {
        if !self.valid {
            return "not valid".into();
        }
        let ty = match self.ty {
            EventType::Intr => "INTR".to_string(),
            EventType::Nmi => "NMI".to_string(),
            EventType::Exception => "exception".to_string(),
            EventType::SoftInt => "INTn".to_string(),
            EventType::Reserved(r) => format!("reserved-type-{r}"),
        };
        let mn = match self.ty {
            EventType::Exception => crate::svm::exit_code::exception_mnemonic(self.vector).unwrap_or("?"),
            _ => "",
        };
        let err = self.error_code.map(|e| format!(" err={e:#x}")).unwrap_or_default();
        format!("V {ty} {mn}({}){err}", self.vector)
    }
}
