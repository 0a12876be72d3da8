//! The x86-64 CPU model: architectural state and the interpreter that executes one instruction at a time.
pub(crate) mod block_flags;
pub(crate) mod blocks;
pub(crate) mod caps;
pub(crate) mod control;
pub mod cpuid;
pub(crate) mod decode;
pub(crate) mod exec;
pub(crate) mod icache;
pub mod interrupts;
pub mod lbr;
pub(crate) mod legacy_fetch;
pub mod msr;
pub(crate) mod processor;
pub mod regs;
pub(crate) mod run_fast;
pub(crate) mod segments;
pub(crate) mod tlb;
pub(crate) mod tsc;
pub mod xsave;

pub use control::ControlRegs;
pub use crate::outcome::{EmuError, Fault};
pub use regs::{Gpr, Regs};
pub use segments::{DescTable, Segment};


use crate::mem::memtype::PAT_POWER_ON;

/// Architectural state of one logical processor.
#[derive(Clone, Debug, PartialEq)]
pub struct Cpu {
    pub regs: Regs,
    pub cs: Segment,
    pub ds: Segment,
    pub es: Segment,
    pub ss: Segment,
    pub fs: Segment,
    pub gs: Segment,
    pub gdtr: DescTable,
    pub idtr: DescTable,
    pub ctl: ControlRegs,
    pub pat: u64,
    /// Current privilege level (CS.RPL in long mode).
    pub cpl: u8,
    /// LDTR and TR (hidden parts loaded by LLDT / LTR; 64-bit bases).
    pub ldtr: Segment,
    pub tr: Segment,
    /// The other MSRs (MTRRs, SYSENTER/SYSCALL, KERNEL_GS_BASE, VM_CR, VM_HSAVE_PA, TSC offset).
    pub msr: msr::MsrState,
    /// Features this processor is configured without (cpuid.rs `Hidden`; none by default).
    pub hidden: cpuid::Hidden,
}

impl Cpu {
    /// The CONTRACT §1 entry state ("bare-metal program ABI").
    pub fn contract_entry() -> Cpu {
        let code = Segment { selector: 0x08, base: 0, limit: 0xffff_ffff, attrib: 0x0a9b };
        let data = Segment { selector: 0x10, base: 0, limit: 0xffff_ffff, attrib: 0x0c93 };
        let mut gpr = [0; 16];
        gpr[Gpr::Rsp as usize] = 0x80000;
        let regs = Regs { gpr, rip: 0x100000, rflags: 0x2 };
        Cpu {
            regs,
            cs: code,
            ds: data,
            es: data,
            ss: data,
            fs: data,
            gs: data,
            gdtr: DescTable { base: 0x1000, limit: 0x17 },
            idtr: DescTable { base: 0, limit: 0 },
            ctl: ControlRegs::contract_entry(),
            pat: PAT_POWER_ON,
            cpl: 0,
            ldtr: Segment::default(),
            // No TSS loaded yet: a busy 64-bit TSS type with limit 0, so IST and stack switches #TS.
            tr: Segment { selector: 0, base: 0, limit: 0, attrib: 0x8b },
            msr: msr::MsrState::default(),
            hidden: cpuid::Hidden::default(),
        }
    }
}
