//! System and flag instructions: SYSCALL/SYSRET, WAIT, CPUID, RDTSC(P), RDMSR/WRMSR, MOV CR/DR, CLTS, LGDT/LIDT/SGDT/
//! SIDT, LTR/STR/LLDT/SLDT, SMSW/LMSW, XLAT, INVLPG, WBINVD, INVD, CLFLUSH, HLT, IN/OUT, SWAPGS, CLC..STI,
//! NOP/PAUSE/fences, UD0/UD1/UD2.
use super::{is_canonical, unsupported, ExecResult, Flow};
use crate::cpu::caps::CpuCaps;
use crate::devices::PortEffect;
use crate::cpu::control::{cr0, cr4, efer};
use crate::outcome::{vector, Fault, Trap};
use crate::cpu::regs::flags as rf;
use crate::cpu::{cpuid, msr, DescTable};
use crate::cpu::processor::{Processor, Virt};
use crate::outcome::Stop;
use iced_x86::{Instruction, Mnemonic, OpKind, Register};

/// What this processor supports (CR4/EFER bits, MAXPHYADDR).
const CAPS: CpuCaps = CpuCaps::MODEL;

impl<V: Virt> Processor<V> {
    /// IOPL check for CLI/STI/IN/OUT (no TSS I/O bitmap is modelled: CPL > IOPL is #GP(0)).
    pub(crate) fn require_iopl(&self) -> Result<(), Trap> {
        let iopl = (self.cpu.regs.rflags >> 12) & 3;
        if self.cpu.cpl as u64 > iopl { Err(Fault::gp0().into()) } else { Ok(()) }
    }

    /// The time-stamp counter the running code reads: derived from retired steps so that runs are
    /// deterministic, plus the running guest's TSC_OFFSET (APM Table B-1, VMCB+0x050: added to
    /// what RDTSC, RDTSCP and RDMSR(TSC) return in the guest).
    pub fn tsc(&self) -> u64 {
        self.steps.wrapping_add(self.cpu.msr.tsc_offset).wrapping_add(self.guest_tsc_offset())
    }

    /// TSC_OFFSET of the guest that runs now; 0 outside a guest.
    fn guest_tsc_offset(&self) -> u64 {
        self.svm.tsc_offset()
    }

    /// RDMSR semantics (without the CPL check): the value, or #GP(0) for an unknown MSR.
    pub fn rdmsr(&self, idx: u32) -> Result<u64, Fault> {
        match idx {
            msr::EFER => Ok(self.cpu.ctl.efer),
            msr::PAT => Ok(self.cpu.pat),
            msr::TSC => Ok(self.tsc()),
            msr::FS_BASE => Ok(self.cpu.fs.base),
            msr::GS_BASE => Ok(self.cpu.gs.base),
            _ => self.cpu.msr.read(idx).ok_or(Fault::gp0()),
        }
    }

    /// WRMSR semantics (without the CPL check): #GP(0) for an unknown MSR, a read-only MSR or a
    /// reserved bit / encoding.
    pub fn wrmsr(&mut self, idx: u32, v: u64) -> Result<(), Fault> {
        match idx {
            msr::EFER => {
                let cur = self.cpu.ctl.efer;
                if v & !CAPS.efer_valid != 0 {
                    return Err(Fault::gp0());
                }
                if v & efer::SVME != 0 && self.cpu.msr.vm_cr & msr::VM_CR_SVMDIS != 0 {
                    return Err(Fault::gp0());
                }
                if self.cpu.ctl.cr0 & cr0::PG != 0 && (v ^ cur) & efer::LME != 0 {
                    return Err(Fault::gp0());
                }
                // LMA is maintained by the processor.
                self.cpu.ctl.efer = (v & !efer::LMA) | (cur & efer::LMA);
                if (v ^ cur) & efer::NXE != 0 {
                    self.flush_tlb();
                }
            }
            msr::PAT => {
                if !crate::mem::memtype::pat_valid(v) {
                    return Err(Fault::gp0());
                }
                self.cpu.pat = v;
            }
            msr::TSC => self.write_tsc(v),
            msr::TSC_ADJUST => self.write_tsc_adjust(v),
            msr::FS_BASE | msr::GS_BASE => {
                if !is_canonical(v) {
                    return Err(Fault::gp0());
                }
                if idx == msr::FS_BASE { self.cpu.fs.base = v } else { self.cpu.gs.base = v }
            }
            _ => match self.cpu.msr.write(idx, v) {
                Ok(true) if idx == msr::DEBUGCTL => self.refresh_trace(),
                Ok(true) => {}
                Ok(false) | Err(_) => return Err(Fault::gp0()),
            },
        }
        Ok(())
    }

    /// MOV to a control register (CPL 0 already checked).
    pub fn write_cr(&mut self, n: usize, v: u64) -> Result<(), Fault> {
        let c = &self.cpu.ctl;
        match n {
            0 => {
                if v >> 32 != 0
                    || (v & cr0::PG != 0 && v & cr0::PE == 0)
                    || (v & cr0::NW != 0 && v & cr0::CD == 0)
                    || (c.efer & efer::LMA != 0 && v & cr0::PG == 0 && self.cpu.cs.long_mode())
                    || (c.cr0 & cr0::PG == 0 && v & cr0::PG != 0 && c.efer & efer::LME != 0 && c.cr4 & cr4::PAE == 0)
                {
                    // Leaving long mode from 64-bit code is #GP (it needs compatibility mode);
                    // entering it needs CR4.PAE (APM 14.6.1).
                    return Err(Fault::gp0());
                }
                // Paging on with EFER.LME activates long mode; paging off leaves it (APM 14.6).
                if v & cr0::PG != 0 && c.efer & efer::LME != 0 {
                    self.cpu.ctl.efer |= efer::LMA;
                } else if v & cr0::PG == 0 {
                    self.cpu.ctl.efer &= !efer::LMA;
                }
                self.cpu.ctl.cr0 = v | cr0::ET;
                self.flush_tlb();
            }
            2 => self.cpu.ctl.cr2 = v,
            3 => {
                if v & CAPS.above_maxphyaddr() != 0 {
                    return Err(Fault::gp0());
                }
                self.cpu.ctl.cr3 = v;
                self.flush_tlb_nonglobal();
            }
            4 => {
                // CR4.OSXSAVE is reserved on a processor configured without XSAVE (cpuid.rs `Hidden`).
                let valid = CAPS.cr4_valid & !if self.cpu.hidden.xsave { cr4::OSXSAVE } else { 0 };
                if v & !valid != 0 || (c.efer & efer::LMA != 0 && v & cr4::PAE == 0) {
                    return Err(Fault::gp0());
                }
                self.cpu.ctl.cr4 = v;
                self.flush_tlb();
            }
            8 => {
                if v >> 4 != 0 {
                    return Err(Fault::gp0());
                }
                self.cpu.ctl.cr8 = v;
            }
            _ => return Err(Fault::ud()),
        }
        Ok(())
    }

    fn read_cr(&self, n: usize) -> Result<u64, Fault> {
        let c = &self.cpu.ctl;
        Ok(match n {
            0 => c.cr0,
            2 => c.cr2,
            3 => c.cr3,
            4 => c.cr4,
            8 => c.cr8,
            _ => return Err(Fault::ud()),
        })
    }

    pub(crate) fn exec_mov_crdr(&mut self, ins: &Instruction) -> ExecResult {
        self.require_cpl0()?;
        let (r0, r1) = (ins.op_register(0), ins.op_register(1));
        let cr = |r: Register| r.number() - Register::CR0.number();
        let dr = |r: Register| r.number() - Register::DR0.number();
        if r0.is_cr() {
            let v = self.reg_read(r1);
            self.write_cr(cr(r0), v)?;
        } else if r1.is_cr() {
            let v = self.read_cr(cr(r1))?;
            self.reg_write(r0, v);
        } else {
            let to_dr = r0.is_dr();
            let mut n = if to_dr { dr(r0) } else { dr(r1) };
            if n == 4 || n == 5 {
                if self.cpu.ctl.cr4 & cr4::DE != 0 {
                    return Err(Fault::ud().into());
                }
                n += 2;
            }
            if n > 7 {
                return Err(Fault::ud().into());
            }
            if to_dr {
                let v = self.reg_read(r1);
                if n >= 6 && v >> 32 != 0 {
                    return Err(Fault::gp0().into());
                }
                self.cpu.ctl.dr[n] = match n {
                    6 => (v & 0xe00f) | 0xffff_0ff0,
                    7 => (v & !0xd800) | 0x400,
                    _ => v,
                };
                self.breakpoints_changed();
            } else {
                let v = self.cpu.ctl.dr[n];
                self.reg_write(r0, v);
            }
        }
        Ok(Flow::Next)
    }

    pub(crate) fn exec_system(&mut self, ins: &Instruction) -> ExecResult {
        use Mnemonic as M;
        let m = ins.mnemonic();
        match m {
            M::Nop | M::Pause | M::Lfence | M::Sfence | M::Mfence | M::Endbr64 | M::Prefetchnta | M::Prefetcht0
            | M::Prefetcht1 | M::Prefetcht2 | M::Prefetchw | M::Prefetch => {}
            M::Reservednop => {}
            M::Wait => {
                // No x87 exception is ever pending; CR0.MP with CR0.TS is #NM.
                if self.cpu.ctl.cr0 & 0xa == 0xa {
                    return Err(Fault::new(vector::NM).into());
                }
            }
            M::Syscall => return self.exec_syscall(ins),
            M::Sysret | M::Sysretq => return self.exec_sysret(ins),
            M::Clc => self.set_flags_masked(0, rf::CF),
            M::Stc => self.set_flags_masked(rf::CF, rf::CF),
            M::Cmc => self.cpu.regs.rflags ^= rf::CF,
            M::Cld => self.set_flags_masked(0, rf::DF),
            M::Std => self.set_flags_masked(rf::DF, rf::DF),
            M::Cli | M::Sti => {
                self.require_iopl()?;
                if m == M::Sti && !self.flag(rf::IF) {
                    self.shadow_next(); // STI that sets IF: the next instruction is in its shadow
                }
                self.set_flags_masked(if m == M::Sti { rf::IF } else { 0 }, rf::IF);
            }
            M::Cpuid => {
                let r = cpuid::cpuid_in(self.cpu.regs.gpr[0] as u32, self.cpu.regs.gpr[1] as u32, self.cpu.ctl.cr4, self.cpu.hidden);
                for (i, reg) in [0usize, 3, 1, 2].into_iter().enumerate() {
                    self.cpu.regs.gpr[reg] = r[i] as u64;
                }
            }
            M::Rdtscp if self.cpu.hidden.rdtscp => return Err(Fault::ud().into()),
            M::Rdtsc | M::Rdtscp => {
                if self.cpu.ctl.cr4 & cr4::TSD != 0 && self.cpu.cpl != 0 {
                    return Err(Fault::gp0().into());
                }
                let t = self.tsc();
                self.cpu.regs.gpr[0] = t & 0xffff_ffff;
                self.cpu.regs.gpr[2] = t >> 32;
                if m == M::Rdtscp {
                    self.cpu.regs.gpr[1] = self.cpu.msr.tsc_aux;
                }
            }
            M::Rdmsr => {
                self.require_cpl0()?;
                let v = self.rdmsr(self.cpu.regs.gpr[1] as u32)?;
                self.cpu.regs.gpr[0] = v & 0xffff_ffff;
                self.cpu.regs.gpr[2] = v >> 32;
            }
            M::Wrmsr => {
                self.require_cpl0()?;
                let v = (self.cpu.regs.gpr[2] << 32) | (self.cpu.regs.gpr[0] & 0xffff_ffff);
                self.wrmsr(self.cpu.regs.gpr[1] as u32, v)?;
            }
            M::Smsw => {
                // The low word of CR0 (a register destination of 32/64 bits gets all of CR0's low bits).
                let v = self.cpu.ctl.cr0 & if ins.op_kind(0) == OpKind::Memory { 0xffff } else { 0xffff_ffff };
                self.write_op(ins, 0, v)?;
            }
            M::Lmsw => {
                self.require_cpl0()?;
                // Loads PE MP EM TS; PE cannot be cleared this way.
                let v = self.read_op(ins, 0)? & 0xf;
                let cr0 = self.cpu.ctl.cr0;
                self.write_cr(0, (cr0 & !0xe) | v | (cr0 & 1))?;
            }
            M::Xlatb => {
                let base = match ins.memory_segment() {
                    Register::FS => self.cpu.fs.base,
                    Register::GS => self.cpu.gs.base,
                    _ => 0,
                };
                let la = base.wrapping_add(self.cpu.regs.gpr[3]).wrapping_add(self.cpu.regs.gpr[0] & 0xff);
                let v = self.read_mem(la, 1)?;
                self.reg_write(Register::AL, v);
            }
            M::Clts => {
                self.require_cpl0()?;
                self.cpu.ctl.cr0 &= !(1 << 3);
            }
            M::Lgdt | M::Lidt => {
                self.require_cpl0()?;
                let la = self.effective_address(ins);
                let limit = self.read_mem(la, 2)? as u16;
                // The base is 8 bytes in 64-bit mode, else 4 (APM vol.3 LGDT; a 16-bit operand
                // size keeps 24 bits).
                let base = match ins.code() {
                    iced_x86::Code::Lgdt_m1664 | iced_x86::Code::Lidt_m1664 => self.read_mem(la.wrapping_add(2), 8)?,
                    iced_x86::Code::Lgdt_m1632 | iced_x86::Code::Lidt_m1632 => self.read_mem(la.wrapping_add(2), 4)?,
                    _ => self.read_mem(la.wrapping_add(2), 4)? & 0xff_ffff,
                };
                if !is_canonical(base) {
                    return Err(Fault::gp0().into());
                }
                let t = DescTable { base, limit };
                if m == M::Lgdt { self.cpu.gdtr = t } else { self.cpu.idtr = t }
            }
            M::Sgdt | M::Sidt => {
                let t = if m == M::Sgdt { self.cpu.gdtr } else { self.cpu.idtr };
                let la = self.effective_address(ins);
                self.write_mem(la, 2, t.limit as u64)?;
                self.write_mem(la.wrapping_add(2), 8, t.base)?;
            }
            M::Ltr | M::Lldt => {
                self.require_cpl0()?;
                let sel = self.read_op(ins, 0)? as u16;
                self.load_system_segment(m == M::Ltr, sel)?;
            }
            M::Str | M::Sldt => {
                let sel = if m == M::Str { self.cpu.tr.selector } else { self.cpu.ldtr.selector } as u64;
                if ins.op_kind(0) == OpKind::Memory {
                    let la = self.effective_address(ins);
                    self.write_mem(la, 2, sel)?;
                } else {
                    let r = ins.op_register(0);
                    let full = if r.size() == 2 { r } else { r.full_register() };
                    self.reg_write(full, sel);
                }
            }
            M::Invlpg => {
                self.require_cpl0()?;
                let la = self.effective_address(ins);
                self.invlpg(la);
            }
            M::Wbinvd | M::Invd => self.require_cpl0()?,
            M::Clflush | M::Clflushopt => {
                let la = self.effective_address(ins);
                self.read_mem(la, 1)?;
            }
            M::Hlt => {
                self.require_cpl0()?;
                // Halts until an interrupt, or stops the machine when none can come (interrupts.rs).
                return Ok(self.halt(ins.ip()));
            }
            M::Swapgs => {
                self.require_cpl0()?;
                std::mem::swap(&mut self.cpu.gs.base, &mut self.cpu.msr.kernel_gs_base);
            }
            M::In => {
                self.require_iopl()?;
                let port = self.read_op(ins, 1)? as u16;
                let size = Self::op_size(ins, 0);
                let v = self.port_in(port, size);
                self.reg_write(ins.op_register(0), v);
            }
            M::Out => {
                self.require_iopl()?;
                let port = self.read_op(ins, 0)? as u16;
                let size = Self::op_size(ins, 1);
                let v = self.read_op(ins, 1)?;
                return Ok(self.port_out(port, size, v));
            }
            // FNOP, the one x87 instruction modelled: #NM when CR0.EM or CR0.TS is set (APM vol.1
            // 11.3 / vol.2 8.2.8, "device not available"), else nothing.
            M::Fnop => {
                if self.cpu.ctl.cr0 & (cr0::EM | cr0::TS) != 0 {
                    return Err(Fault::new(crate::outcome::vector::NM).into());
                }
            }
            // SYSENTER/SYSEXIT are invalid in long mode on AMD processors; RSM is #UD outside
            // system-management mode, which the model never enters (APM vol.3 "RSM").
            // RDPRU and INVPCID are not offered (CPUID 0x80000008 EBX[4], 7.0:EBX[10] clear).
            M::Ud0 | M::Ud1 | M::Ud2 | M::Sysenter | M::Sysexit | M::Sysexitq | M::Rsm | M::Rdpru | M::Invpcid => {
                return Err(Fault::ud().into());
            }
            M::Xgetbv | M::Xsetbv => self.exec_xcr(m == M::Xsetbv)?,
            _ => return Err(unsupported(ins)),
        }
        Ok(Flow::Next)
    }

    /// SYSCALL in 64-bit mode (APM vol. 3, SYSCALL): CS/SS from STAR[47:32], RIP from LSTAR,
    /// RCX = return RIP, R11 = RFLAGS, RFLAGS masked with SFMASK.
    fn exec_syscall(&mut self, ins: &Instruction) -> ExecResult {
        if self.cpu.ctl.efer & efer::SCE == 0 {
            return Err(Fault::ud().into());
        }
        let sel = ((self.cpu.msr.star >> 32) & 0xfffc) as u16;
        self.cpu.regs.gpr[1] = ins.next_ip();
        self.cpu.regs.gpr[11] = self.cpu.regs.rflags & !(1 << 16);
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !self.cpu.msr.sfmask & !(1 << 16)) | rf::FIXED1;
        self.cpu.cs = crate::cpu::Segment { selector: sel, base: 0, limit: 0xffff_ffff, attrib: 0x0a9b };
        self.cpu.ss = crate::cpu::Segment { selector: sel + 8, base: 0, limit: 0xffff_ffff, attrib: 0x0c93 };
        self.cpu.cpl = 0;
        Ok(Flow::Jump(self.cpu.msr.lstar))
    }

    /// SYSRET with REX.W to 64-bit mode: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, CPL 3.
    fn exec_sysret(&mut self, ins: &Instruction) -> ExecResult {
        if self.cpu.ctl.efer & efer::SCE == 0 {
            return Err(Fault::ud().into());
        }
        self.require_cpl0()?;
        if ins.code() != iced_x86::Code::Sysretq {
            return Err(super::unsupported(ins));
        }
        let rip = self.cpu.regs.gpr[1];
        if !is_canonical(rip) {
            return Err(Fault::gp0().into());
        }
        let base = ((self.cpu.msr.star >> 48) & 0xffff) as u16;
        self.cpu.regs.rflags = (self.cpu.regs.gpr[11] & 0x3c_7fd7) | rf::FIXED1;
        self.cpu.cs = crate::cpu::Segment { selector: (base + 16) | 3, base: 0, limit: 0xffff_ffff, attrib: 0x0afb };
        self.cpu.ss = crate::cpu::Segment { selector: (base + 8) | 3, base: 0, limit: 0xffff_ffff, attrib: 0x0cf3 };
        self.cpu.cpl = 3;
        Ok(Flow::Jump(rip))
    }

    /// LTR / LLDT: 16-byte system descriptors from the GDT.
    fn load_system_segment(&mut self, tr: bool, sel: u16) -> Result<(), Trap> {
        if sel & !3 == 0 {
            if tr {
                return Err(Fault::gp0().into());
            }
            self.cpu.ldtr = crate::cpu::Segment { selector: 0, base: 0, limit: 0, attrib: 0 };
            return Ok(());
        }
        let gp = Trap::from(Fault::with_code(vector::GP, (sel & !3) as u32));
        if sel & 4 != 0 || (sel & !7) as u64 + 15 > self.cpu.gdtr.limit as u64 {
            return Err(gp);
        }
        let la = self.cpu.gdtr.base.wrapping_add((sel & !7) as u64);
        let acc = crate::mem::paging::Access { write: false, user: false, fetch: false };
        let lo = self.read_lin(la, 8, acc)?;
        let hi = self.read_lin(la.wrapping_add(8), 8, acc)?;
        let mut seg = super::interrupt::segment_from_descriptor(sel, lo);
        let ty = seg.attrib & 0x1f;
        if (tr && ty != 0x09) || (!tr && ty != 0x02) {
            return Err(gp);
        }
        if seg.attrib & 0x80 == 0 {
            return Err(Fault::with_code(vector::NP, (sel & !3) as u32).into());
        }
        seg.base |= (hi & 0xffff_ffff) << 32;
        if tr {
            // Mark the TSS busy.
            self.write_lin_acc(la, 8, lo | (2 << 40), crate::mem::paging::Access { write: true, user: false, fetch: false })?;
            seg.attrib |= 2;
            self.cpu.tr = seg;
        } else {
            self.cpu.ldtr = seg;
        }
        Ok(())
    }

    /// IN from the devices (devices/): unclaimed ports read as all ones.
    pub(crate) fn port_in(&mut self, port: u16, size: u32) -> u64 {
        self.devices.port_in(port, size)
    }

    /// OUT to the devices (devices/).
    pub(crate) fn port_out(&mut self, port: u16, size: u32, v: u64) -> Flow {
        match self.devices.port_out(port, size, v, &mut self.console) {
            PortEffect::None => Flow::Next,
            PortEffect::Exit(code) => Flow::Stop(Box::new(Stop::DebugExit(code))),
        }
    }
}
