//! What L0 emulates for its guests itself: the MSRs it intercepts (PAT through the gPAT design,
//! EFER with a per-level SVME bit) and the CONTRACT devices (ports 0xE9 and 0xF4).
#![allow(clippy::cast_possible_truncation, reason = "L0's emulation reads the architectural operand: ECX for an MSR, AL for a port write")]
use super::gpat::NestedCtx;
use super::l0::Kvm;
use crate::cpu::caps::CpuCaps;
use crate::devices::PortEffect;
use crate::cpu::control::efer::{LMA as EFER_LMA, SVME as EFER_SVME};
use crate::outcome::{EmuError, Fault, L0Failure, PhysUse};
use crate::cpu::msr;
use crate::machine::Stop;
use crate::mem::Hpa;
use crate::svm::intercept::IoioInfo;
use crate::svm::vmcb::{VmcbSave, save_f};
use crate::svm::VmExit;

impl Kvm {
    /// An MSR access L0 intercepted for its current guest (PAT or EFER). Returns a fault to inject.
    pub(crate) fn msr_exit(&mut self, s: &mut VmcbSave, write: bool) -> Result<Option<Fault>, EmuError> {
        match self.m.cpu.regs.gpr[1] as u32 {
            msr::PAT => Ok(self.pat_msr(s, write)),
            msr::EFER => Ok(self.efer_msr(s, write)),
            // Outside the MSRPM's ranges every RDMSR/WRMSR exits (APM 15.11): no MSR of the
            // model lies there, so it is #GP(0), as on `bare` (KVM: an unhandled MSR access
            // injects #GP, kvm_msr_ignored_check; robustness E3c).
            other if crate::svm::intercept::msrpm_bit(other).is_none() => Ok(Some(Fault::gp0())),
            other => Err(L0Failure::UnexpectedMsr(other).into()),
        }
    }

    /// RDMSR/WRMSR(EFER): the hardware value with this level's own SVME bit.
    fn efer_msr(&mut self, s: &mut VmcbSave, write: bool) -> Option<Fault> {
        let lvl = self.nested.is_some() as usize;
        let regs = &mut self.m.cpu.regs;
        if write {
            let v = (regs.gpr[2] & 0xffff_ffff) << 32 | (s.rax & 0xffff_ffff);
            if v & !CpuCaps::MODEL.efer_valid != 0 {
                return Some(Fault::gp0());
            }
            self.svme[lvl] = v & EFER_SVME != 0;
            // LMA is the processor's: keep it; SVME stays set in the hardware VMCB.
            s.efer = (v & !EFER_LMA) | (s.efer & EFER_LMA) | EFER_SVME;
        } else {
            let v = (s.efer & !EFER_SVME) | if self.svme[lvl] { EFER_SVME } else { 0 };
            s.rax = v & 0xffff_ffff;
            regs.gpr[2] = v >> 32;
        }
        None
    }

    /// RDMSR/WRMSR(PAT) by the current guest, through the design. Returns a fault to inject.
    pub(crate) fn pat_msr(&mut self, s: &mut VmcbSave, write: bool) -> Option<Fault> {
        let ops = self.design.ops();
        let c = NestedCtx { guest_mode: self.nested.is_some(), nested_npt: self.ctx.nested_npt };
        let regs = &mut self.m.cpu.regs;
        if write {
            let v = (regs.gpr[2] & 0xffff_ffff) << 32 | (s.rax & 0xffff_ffff);
            if ops.wrmsr(&mut self.pat, &c, v, false).is_err() {
                return Some(Fault::gp0());
            }
            self.sync_gpat_fields();
        } else {
            let v = ops.rdmsr(&self.pat, &c, false);
            s.rax = v & 0xffff_ffff;
            regs.gpr[2] = v >> 32;
        }
        None
    }

    /// Copies the design's vmcb01/vmcb02 G_PAT values into the VMCBs in memory.
    pub(crate) fn sync_gpat_fields(&mut self) {
        for (pa, v) in [(self.layout.vmcb01, self.pat.vmcb01_gpat), (self.layout.vmcb02, self.pat.vmcb02_gpat)] {
            // Only a change is a write (an unchanged VMCB keeps its parsed copy, svm/vmcb/cache.rs).
            if save_f::g_pat.read(&self.m.mem, Hpa(pa)).ok() != Some(v) {
                let _ = save_f::g_pat.write(&mut self.m.mem, Hpa(pa), v);
            }
        }
    }

    /// L0's emulation of the CONTRACT devices for I/O its guest does (OUT 0xE9, OUT 0xF4).
    pub(crate) fn device_io(&mut self, s: &mut VmcbSave, x: VmExit) -> Result<(), EmuError> {
        let io = IoioInfo::decode(x.info1)
            .ok_or(L0Failure::MalformedIoio(x.info1))?;
        if io.string {
            // `pass_string_io` handles these before this point (l0.rs / nested.rs).
            return Err(L0Failure::StringIo(io.port).into());
        }
        let mask = if io.size >= 4 { 0xffff_ffff } else { (1u64 << (8 * io.size)) - 1 };
        // The same devices the hardware's processor reaches (devices/), for L1.
        let p = &mut self.m.p;
        if io.is_in {
            s.rax = (s.rax & !mask) | (p.devices.port_in(io.port, io.size as u32) & mask);
        } else if let PortEffect::Exit(code) = p.devices.port_out(io.port, io.size as u32, s.rax & mask, &mut p.console) {
            self.m.stopped = Some(Stop::DebugExit(code));
            self.m.cpu.regs.rip = x.info2;
        }
        Ok(())
    }

    /// String I/O (INS/OUTS, with or without REP) to a port L0 emulates, from L1 (`l2` false) or
    /// from an L2 whose L1 does not intercept the port. KVM completes it in its instruction
    /// emulator (`emulator_pio_in_out`: each iteration's memory operand read or written through
    /// the guest's own translation, at the address size and segment of the IOIO EXITINFO1, RCX
    /// counted down). The model lets the hardware run that instruction itself once, with the
    /// port's bits cleared in the IOPM L0 gave the guest: the same computation (translation,
    /// faults and their intercepts, one REP chunk at a time) without a second x86 emulator. The
    /// bits come back right after that step (`Kvm::exit`); the exit itself retires nothing.
    pub(crate) fn pass_string_io(&mut self, x: VmExit, l2: bool) -> Result<(), EmuError> {
        let io = IoioInfo::decode(x.info1).ok_or(L0Failure::MalformedIoio(x.info1))?;
        let iopm = if l2 { self.layout.iopm02 } else { self.layout.iopm01 };
        let at = Hpa(iopm + u64::from(io.port / 8));
        let mut saved = [0u8; 2];
        let err = |e: crate::mem::phys::OutOfRange| EmuError::outside_ram(PhysUse::L0Layout, e.0);
        self.m.mem.read(at, &mut saved).map_err(err)?;
        // The port's bits: `size` consecutive ports from `port` (at most 2 bytes of the map).
        let bits = ((1u32 << io.size) - 1) << (io.port % 8);
        let cleared = u16::from_le_bytes(saved) & !(bits as u16);
        self.m.mem.write(at, &cleared.to_le_bytes()).map_err(err)?;
        self.io_pass = Some((at.0, saved));
        self.enter(l2)
    }

    /// Puts back the IOPM bits `pass_string_io` cleared.
    pub(crate) fn end_string_io(&mut self) -> Result<(), EmuError> {
        if let Some((at, saved)) = self.io_pass.take() {
            self.m.mem.write(Hpa(at), &saved).map_err(|e| EmuError::outside_ram(PhysUse::L0Layout, e.0))?;
        }
        Ok(())
    }
}
