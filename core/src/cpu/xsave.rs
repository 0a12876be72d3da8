//! XSAVE's control register (APM vol.1 11.5.2, vol.3 XGETBV/XSETBV): CPUID reports XSAVE and the
//! only state component is x87 (XCR0 bit 0, which must always be set), so XCR0 is always 1 and
//! holds no state. XSETBV and XGETBV exist; XSAVE/XRSTOR and their variants are not modelled
//! (the x87 state itself is not: executing them stops the run with the unsupported-instruction
//! error, like any x87 instruction but FNOP).
use crate::cpu::control::cr4;
use crate::cpu::processor::{Processor, Virt};
use crate::outcome::{Fault, Trap};

/// XCR0 bits the processor supports (CPUID 0xD.0 EAX; bits 63:32 in EDX, none): x87.
pub const XCR0_SUPPORTED: u32 = 1 << 0;
/// XCR0 at reset: x87.
pub const XCR0_RESET: u64 = 1 << 0;

impl<V: Virt> Processor<V> {
    /// XGETBV (`set` false) or XSETBV: #UD without CR4.OSXSAVE; XSETBV #GP(0) at CPL > 0; #GP(0)
    /// for an XCR other than 0 (ECX); XSETBV #GP(0) for a value with an unsupported bit or
    /// without x87 (bit 0).
    pub(crate) fn exec_xcr(&mut self, set: bool) -> Result<(), Trap> {
        if self.cpu.ctl.cr4 & cr4::OSXSAVE == 0 {
            return Err(Fault::ud().into());
        }
        if set {
            self.require_cpl0()?;
        }
        if self.cpu.regs.gpr[1] & 0xffff_ffff != 0 {
            return Err(Fault::gp0().into());
        }
        if set {
            let v = (self.cpu.regs.gpr[2] << 32) | (self.cpu.regs.gpr[0] & 0xffff_ffff);
            if v != XCR0_RESET {
                return Err(Fault::gp0().into());
            }
        } else {
            self.cpu.regs.gpr[0] = XCR0_RESET;
            self.cpu.regs.gpr[2] = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::cpuid::{bits, cpuid_in};
    use crate::cpu::Cpu;
    use crate::mem::PhysMem;
    use iced_x86::{Code, Instruction};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn xgetbv_xsetbv_follow_cr4_osxsave_and_xcr0_x87_only() {
        // APM vol.3 XGETBV/XSETBV: #UD with CR4.OSXSAVE clear; ECX other than 0 is #GP(0); XCR0
        // without bit 0 or with an unsupported bit is #GP(0). CPUID.1:ECX[27] mirrors CR4.OSXSAVE.
        let mut p = Processor::new(Cpu::contract_entry(), PhysMem::new(1 << 20), ());
        let get = Instruction::with(Code::Xgetbv);
        let set = Instruction::with(Code::Xsetbv);
        assert_eq!(p.execute(&get), Err(Fault::ud().into()));
        assert_eq!(cpuid_in(1, 0, p.cpu.ctl.cr4, Default::default())[2] & (bits::XSAVE | bits::OSXSAVE), bits::XSAVE);
        p.cpu.ctl.cr4 |= cr4::OSXSAVE;
        assert_ne!(cpuid_in(1, 0, p.cpu.ctl.cr4, Default::default())[2] & bits::OSXSAVE, 0);
        p.cpu.regs.gpr[1] = 0;
        assert!(p.execute(&get).is_ok());
        assert_eq!((p.cpu.regs.gpr[0], p.cpu.regs.gpr[2]), (1, 0));
        p.cpu.regs.gpr[1] = 1;
        assert_eq!(p.execute(&get), Err(Fault::gp0().into()));
        p.cpu.regs.gpr[1] = 0;
        for (v, ok) in [(1u64, true), (3, false), (0, false)] {
            (p.cpu.regs.gpr[0], p.cpu.regs.gpr[2]) = (v, 0);
            assert_eq!(p.execute(&set).is_ok(), ok, "XSETBV {v:#x}");
        }
        // CPUID 0xD.0: XCR0 may hold x87; 576 bytes (512 legacy + 64 header).
        assert_eq!(crate::cpu::cpuid::cpuid(0xd, 0), [1, 576, 576, 0]);
    }

    #[test]
    fn a_processor_configured_without_rdtscp_and_xsave_behaves_without_them() {
        // QEMU -cpu …,-rdtscp,-xsave (kvm-unit-tests unittests.cfg): CPUID 0x80000001 EDX[27] and
        // 1 ECX[26] clear, leaf 0xD empty; APM vol.3 RDTSCP: #UD when CPUID says it is absent;
        // CR4.OSXSAVE is then reserved (MOV CR4 #GP(0)), so XGETBV stays #UD.
        use crate::cpu::cpuid::Hidden;
        let h = Hidden::parse("-rdtscp,-xsave,-invpcid,-skinit").unwrap();
        assert_eq!(h, Hidden { rdtscp: true, xsave: true });
        assert!(Hidden::parse("-sse").is_err());
        assert_eq!(cpuid_in(0x8000_0001, 0, 0, h)[3] & bits::RDTSCP, 0);
        assert_ne!(cpuid_in(0x8000_0001, 0, 0, Hidden::default())[3] & bits::RDTSCP, 0);
        assert_eq!(cpuid_in(1, 0, cr4::OSXSAVE, h)[2] & (bits::XSAVE | bits::OSXSAVE), 0);
        assert_eq!(cpuid_in(0xd, 0, 0, h), [0; 4]);
        let mut p = Processor::new(Cpu::contract_entry(), PhysMem::new(1 << 20), ());
        p.cpu.hidden = h;
        assert_eq!(p.execute(&Instruction::with(Code::Rdtscp)), Err(Fault::ud().into()));
        let cr4 = p.cpu.ctl.cr4;
        assert_eq!(p.write_cr(4, cr4 | cr4::OSXSAVE), Err(Fault::gp0()));
        assert_eq!(p.execute(&Instruction::with(Code::Xgetbv)), Err(Fault::ud().into()));
        p.cpu.hidden = Hidden::default();
        assert!(p.execute(&Instruction::with(Code::Rdtscp)).is_ok());
        assert_eq!(p.write_cr(4, cr4 | cr4::OSXSAVE), Ok(()));
    }
}
