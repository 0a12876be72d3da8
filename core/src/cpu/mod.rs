//! The x86-64 CPU model: architectural state and the interpreter that executes one instruction at a time.
pub mod control;
pub mod decode;
pub mod exec;
pub mod fault;
pub mod regs;
pub mod segments;

pub use control::ControlRegs;
pub use fault::{EmuError, Fault};
pub use regs::{Gpr, Regs};
pub use segments::{DescTable, Segment};

use serde::{Deserialize, Serialize};

/// Power-on value of the PAT MSR (reference §5.1).
pub const PAT_POWER_ON: u64 = 0x0007_0406_0007_0406;

/// Architectural state of one logical processor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

impl Cpu {
    /// The CONTRACT §1 entry state ("bare-metal program ABI").
    pub fn contract_entry() -> Cpu {
        let code = Segment { selector: 0x08, base: 0, limit: 0xffff_ffff, attrib: 0x0a9b };
        let data = Segment { selector: 0x10, base: 0, limit: 0xffff_ffff, attrib: 0x0c93 };
        let mut regs = Regs::default();
        regs.rip = 0x100000;
        regs.gpr[Gpr::Rsp as usize] = 0x80000;
        regs.rflags = 0x2;
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
        }
    }
}
