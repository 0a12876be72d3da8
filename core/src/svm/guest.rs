//! Intercept checks for a running guest (APM 15.7–15.12, reference §2–§3): which instructions,
//! exceptions and shutdowns become a #VMEXIT, with EXITINFO1/EXITINFO2/nRIP as the APM defines.
//!
//! Order (APM 15.9, "instruction intercepts are checked after simple exceptions such as #GP for a
//! wrong CPL or #UD, but before exceptions of memory accesses and of specific operand values"): the
//! CPL / EFER.SVME / IOPL / CR4.TSD checks of an instruction are done first and raise their
//! exception in the guest; then the intercept bit; then the instruction executes (and may fault
//! on its operands). For RDMSR/WRMSR this is reference §3.1's order: CPL #GP, MSRPM, then the
//! MSR-specific #GP (so an intercepted WRMSR(PAT) with a reserved encoding exits before any #GP).
//!
//! EXITINFO: the model offers NRIPS but not DecodeAssists (CPUID 0x8000000A EDX), so MOV CRx/DRx
//! exits have EXITINFO1 = 0; INTn has the vector and INVLPG the linear address in EXITINFO1
//! (reference §2.3). nRIP is the next RIP for instruction intercepts, MSR, IOIO and INT3/INTO
//! (#BP/#OF), and 0 for every other exit (reference §2.3).
#![allow(clippy::cast_possible_truncation, reason = "intercept checks read the architectural operand: ECX for an MSR, DX for a port, the I/O size in bytes")]
use super::exit_code::{SvmExitCode, VmExit};
use super::exit_table::Intercept as I;
use super::intercept::{EventInj, EventType, IoioInfo, iopm_intercepted, is_intercepted, msrpm_intercepted};
use super::model::SvmModel;
use crate::cpu::control::{cr4, efer};
use crate::cpu::exec::{ExecResult, Flow};
use crate::outcome::{Fault, IdtEvent, IdtEventType, Trap, vector};
use crate::cpu::msr;
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::Processor;
use crate::svm::SvmState;
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

/// CR0 bits a write may change without the selective CR0 write intercept (`I::SELECTIVE_CR0`)
/// taking it: TS (3) and MP (1).
const CR0_SELECTIVE_IGNORED: u64 = (1 << 3) | (1 << 1);

/// An instruction-intercept exit: EXITINFO1 as given, EXITINFO2 0, nRIP = next RIP.
pub(super) fn insn_exit(i: I, info1: u64, next_rip: u64) -> ExecResult {
    Err(Trap::Exit(VmExit { code: i.exit_code(), info1, info2: 0, int_info: 0, next_rip }))
}

/// The EXITINTINFO value describing an event being delivered (APM 15.7.2: EVENTINJ's layout).
pub fn idt_event(e: &IdtEvent) -> u64 {
    let ty = match e.ty {
        IdtEventType::Intr => EventType::Intr,
        IdtEventType::Nmi => EventType::Nmi,
        IdtEventType::Exception => EventType::Exception,
        IdtEventType::SoftInt => EventType::SoftInt,
    };
    EventInj { valid: true, vector: e.vector, ty, error_code: e.error_code }.encode()
}

impl Processor<SvmState> {
    fn guest_intercepts(&self, i: I) -> bool {
        self.svm.guest.as_ref().is_some_and(|g| is_intercepted(&g.ctrl, i))
    }

    /// #UD unless EFER.SVME (and protected mode), then #GP(0) unless CPL 0: the common checks of
    /// VMRUN, VMLOAD, VMSAVE, STGI, CLGI, INVLPGA (APM vol.3, reference §4.1).
    pub(crate) fn svm_insn_prechecks(&self) -> Result<(), Trap> {
        if self.cpu.ctl.efer & efer::SVME == 0 || self.cpu.ctl.cr0 & crate::cpu::control::cr0::PE == 0 {
            return Err(Fault::ud().into());
        }
        self.require_cpl0()
    }

    /// Called at the top of `execute` while a guest runs. `Some(result)`: the instruction is
    /// intercepted (`Err(Trap::Exit)`), faults in a pre-intercept check, or is completed here
    /// (PAT access to the separate gPAT register, HLT without intercept); `None`: execute it normally.
    pub(crate) fn guest_intercept(&mut self, ins: &Instruction) -> Option<ExecResult> {
        use Mnemonic as M;
        let next = ins.next_ip();
        let cpl0 = self.cpu.cpl == 0;
        let gp = || Some(Err(Trap::from(Fault::gp0())));
        // Instruction intercept with a CPL-0 precheck.
        let priv_insn = |m: &Self, i: I, info1: u64| -> Option<ExecResult> {
            if !cpl0 {
                return gp();
            }
            m.guest_intercepts(i).then(|| insn_exit(i, info1, next))
        };
        let plain = |m: &Self, i: I, info1: u64| m.guest_intercepts(i).then(|| insn_exit(i, info1, next));
        let svm_insn = |m: &Self, i: I| -> Option<ExecResult> {
            if let Err(t) = m.svm_insn_prechecks() {
                return Some(Err(t));
            }
            m.guest_intercepts(i).then(|| insn_exit(i, 0, next))
        };
        match ins.mnemonic() {
            M::Mov => self.guest_intercept_mov_crdr(ins),
            M::Clts => priv_insn(self, I::cr_write(0), 0), // CLTS is a CR0 write (APM 15.8.1)
            M::Rdmsr | M::Wrmsr => self.guest_intercept_msr(ins),
            M::In | M::Out | M::Insb | M::Insw | M::Insd | M::Outsb | M::Outsw | M::Outsd => {
                self.guest_intercept_io(ins)
            }
            // RSM: the intercept is checked before the #UD an RSM outside SMM raises (APM 15.9).
            M::Rsm => plain(self, I::RSM, 0),
            M::Sidt => plain(self, I::STORE_IDTR, 0),
            M::Sgdt => plain(self, I::STORE_GDTR, 0),
            M::Sldt => plain(self, I::STORE_LDTR, 0),
            M::Str => plain(self, I::STORE_TR, 0),
            M::Lidt => priv_insn(self, I::LOAD_IDTR, 0),
            M::Lgdt => priv_insn(self, I::LOAD_GDTR, 0),
            M::Lldt => priv_insn(self, I::LOAD_LDTR, 0),
            M::Ltr => priv_insn(self, I::LOAD_TR, 0),
            // RDTSCP on a processor configured without it: #UD before the intercept (APM 15.9).
            M::Rdtscp if self.cpu.hidden.rdtscp => Some(Err(Fault::ud().into())),
            M::Rdtsc | M::Rdtscp => {
                if self.cpu.ctl.cr4 & cr4::TSD != 0 && !cpl0 {
                    return gp();
                }
                plain(self, if ins.mnemonic() == M::Rdtsc { I::RDTSC } else { I::RDTSCP }, 0)
            }
            // RDPMC: #GP at CPL > 0 with CR4.PCE clear comes before the intercept (APM 15.9).
            M::Rdpmc => {
                if self.cpu.ctl.cr4 & cr4::PCE == 0 && !cpl0 {
                    return gp();
                }
                plain(self, I::RDPMC, 0)
            }
            // SMSW reads CR0 (CR0 read intercept, exit 0x00); LMSW writes CR0 (CR0 write
            // intercept, exit 0x10, or the selective CR0 write, exit 0x65, when it changes a bit
            // other than TS/MP) — APM 15.8.1. LMSW loads PE, MP, EM, TS and cannot clear PE.
            M::Smsw => plain(self, I::cr_read(0), 0),
            M::Lmsw => {
                if !cpl0 {
                    return gp();
                }
                if self.guest_intercepts(I::cr_write(0)) {
                    return Some(insn_exit(I::cr_write(0), 0, next));
                }
                if !self.guest_intercepts(I::SELECTIVE_CR0) {
                    return None;
                }
                let src = match self.read_op(ins, 0) {
                    Ok(v) => v,
                    Err(t) => return Some(Err(t)),
                };
                let old = self.cpu.ctl.cr0;
                let new = (old & !0xe) | (src & 0xf) | (old & 1);
                ((new ^ old) & !CR0_SELECTIVE_IGNORED != 0).then(|| insn_exit(I::SELECTIVE_CR0, 0, next))
            }
            M::Pushf | M::Pushfd | M::Pushfq => plain(self, I::PUSHF, 0),
            M::Popf | M::Popfd | M::Popfq => plain(self, I::POPF, 0),
            M::Cpuid => plain(self, I::CPUID, 0),
            M::Iret | M::Iretd | M::Iretq => plain(self, I::IRET, 0),
            M::Int => plain(self, I::INTN, ins.immediate8() as u64),
            M::Invd => priv_insn(self, I::INVD, 0),
            // The PAUSE intercept goes through the PAUSE filter (svm/features.rs).
            M::Pause => self.guest_pause(next),
            M::Hlt => {
                if !cpl0 {
                    return gp();
                }
                if self.guest_intercepts(I::HLT) {
                    return Some(insn_exit(I::HLT, 0, next));
                }
                // HLT in L2 without the intercept: the guest halts until an interrupt (or an
                // intercepted one's #VMEXIT) ends it; when none can come, the run ends with the
                // model-limit stop (CONTRACT §1 reserves exit "halt" for the outermost program).
                Some(Ok(self.halt(ins.ip())))
            }
            M::Invlpg => {
                let la = self.effective_address(ins);
                priv_insn(self, I::INVLPG, la)
            }
            M::Invlpga => svm_insn(self, I::INVLPGA),
            M::Vmrun => svm_insn(self, I::VMRUN),
            M::Vmmcall => plain(self, I::VMMCALL, 0),
            M::Vmload => svm_insn(self, I::VMLOAD),
            M::Vmsave => svm_insn(self, I::VMSAVE),
            M::Stgi => svm_insn(self, I::STGI),
            M::Clgi => svm_insn(self, I::CLGI),
            // SKINIT, RDPRU and INVPCID are not offered (CPUID 0x80000001 ECX[12], 0x80000008
            // EBX[4], 7.0:EBX[10] clear): #UD, which comes before their intercepts (APM 15.9;
            // kvm-unit-tests svm_unsupported_instruction_intercept_test).
            M::Skinit | M::Rdpru | M::Invpcid => Some(Err(Fault::ud().into())),
            M::Int1 => {
                // ICEBP: its own intercept, else the #DB it raises goes through the exception intercepts.
                plain(self, I::ICEBP, 0).or_else(|| self.exception_insn_exit(vector::DB, next))
            }
            M::Wbinvd => priv_insn(self, I::WBINVD, 0),
            M::Monitor | M::Monitorx => priv_insn(self, I::MONITOR, 0),
            M::Mwait | M::Mwaitx => priv_insn(self, I::MWAIT, 0),
            // XSETBV with CR4.OSXSAVE clear is #UD before the intercept (APM vol.3 XSETBV, 15.9).
            M::Xsetbv if self.cpu.ctl.cr4 & cr4::OSXSAVE == 0 => Some(Err(Fault::ud().into())),
            M::Xsetbv => priv_insn(self, I::XSETBV, 0),
            // INT3 / INTO raise #BP / #OF as traps: the exception intercept with nRIP = next RIP.
            M::Int3 => self.exception_insn_exit(vector::BP, next),
            M::Into if self.flag(rf::OF) => self.exception_insn_exit(vector::OF, next),
            _ => None,
        }
    }

    fn exception_insn_exit(&self, v: u8, next: u64) -> Option<ExecResult> {
        self.guest_intercepts(I::exception(v))
            .then(|| Err(Trap::Exit(VmExit { code: SvmExitCode::exception(v), next_rip: next, ..Default::default() })))
    }

    fn guest_intercept_mov_crdr(&self, ins: &Instruction) -> Option<ExecResult> {
        let is_crdr = matches!(
            ins.code(),
            Code::Mov_r64_cr
                | Code::Mov_cr_r64
                | Code::Mov_r64_dr
                | Code::Mov_dr_r64
                | Code::Mov_r32_cr
                | Code::Mov_cr_r32
                | Code::Mov_r32_dr
                | Code::Mov_dr_r32
        );
        if !is_crdr {
            return None;
        }
        if self.cpu.cpl != 0 {
            return Some(Err(Fault::gp0().into()));
        }
        let next = ins.next_ip();
        let (r0, r1) = (ins.op_register(0), ins.op_register(1));
        let cr = |r: Register| (r.number() - Register::CR0.number()) as u8;
        let dr = |r: Register| (r.number() - Register::DR0.number()) as u8;
        let i = if r0.is_cr() {
            let n = cr(r0);
            if n == 0 && !self.guest_intercepts(I::cr_write(0)) && self.guest_intercepts(I::SELECTIVE_CR0) {
                let new = self.reg_read(r1);
                if (new ^ self.cpu.ctl.cr0) & !CR0_SELECTIVE_IGNORED != 0 {
                    return Some(insn_exit(I::SELECTIVE_CR0, 0, next));
                }
            }
            I::cr_write(n)
        } else if r1.is_cr() {
            I::cr_read(cr(r1))
        } else if r0.is_dr() {
            I::dr_write(dr(r0))
        } else {
            I::dr_read(dr(r1))
        };
        self.guest_intercepts(i).then(|| insn_exit(i, 0, next))
    }

    /// RDMSR/WRMSR (reference §3.1): CPL #GP, then the MSRPM (MSRs outside the three ranges always
    /// exit; EXITINFO1 0 = RDMSR, 1 = WRMSR), then the access itself — for PAT with NP on the `bare`
    /// model, the separate gPAT register (reference §8.1).
    fn guest_intercept_msr(&mut self, ins: &Instruction) -> Option<ExecResult> {
        if self.cpu.cpl != 0 {
            return Some(Err(Fault::gp0().into()));
        }
        let write = ins.mnemonic() == Mnemonic::Wrmsr;
        let idx = self.cpu.regs.gpr[1] as u32;
        let g = self.svm.guest.as_ref()?;
        if is_intercepted(&g.ctrl, I::MSR_PROT) {
            // A map byte outside RAM reads as all ones here (intercepted).
            let hit = msrpm_intercepted(&self.mem, g.ctrl.msrpm_base_pa, idx, write).unwrap_or(true);
            if hit {
                return Some(insn_exit(I::MSR_PROT, write as u64, ins.next_ip()));
            }
        }
        if idx == msr::PAT && g.np.is_some() && self.svm.model == SvmModel::Bare {
            let g = self.svm.guest.as_mut()?;
            if write {
                let v = (self.cpu.regs.gpr[2] << 32) | (self.cpu.regs.gpr[0] & 0xffff_ffff);
                if !crate::mem::memtype::pat_valid(v) {
                    return Some(Err(Fault::gp0().into()));
                }
                g.gpat = v;
            } else {
                self.cpu.regs.gpr[0] = g.gpat & 0xffff_ffff;
                self.cpu.regs.gpr[2] = g.gpat >> 32;
            }
            return Some(Ok(Flow::Next));
        }
        None
    }

    /// IN/OUT/INS/OUTS (reference §3.3): the IOPL check first (no TSS I/O bitmap is modelled), then
    /// the IOPM bit of every byte of the access. EXITINFO1 per §2.3, EXITINFO2 = nRIP = next RIP.
    fn guest_intercept_io(&self, ins: &Instruction) -> Option<ExecResult> {
        let iopl = (self.cpu.regs.rflags >> 12) & 3;
        if self.cpu.cpl as u64 > iopl {
            return Some(Err(Fault::gp0().into()));
        }
        let g = self.svm.guest.as_ref()?;
        if !is_intercepted(&g.ctrl, I::IOIO_PROT) {
            return None;
        }
        use Mnemonic as M;
        let m = ins.mnemonic();
        let is_in = matches!(m, M::In | M::Insb | M::Insw | M::Insd);
        let string = !matches!(m, M::In | M::Out);
        let (port, size) = match m {
            M::In => (self.port_operand(ins, 1), Self::op_size(ins, 0)),
            M::Out => (self.port_operand(ins, 0), Self::op_size(ins, 1)),
            M::Insb | M::Outsb => (self.cpu.regs.gpr[2] as u16, 1),
            M::Insw | M::Outsw => (self.cpu.regs.gpr[2] as u16, 2),
            _ => (self.cpu.regs.gpr[2] as u16, 4),
        };
        let hit = iopm_intercepted(&self.mem, g.ctrl.iopm_base_pa, port, size as u8).unwrap_or(true);
        if !hit {
            return None;
        }
        // Address size: that of the string operand (rSI/rDI at the effective address size, 0x67
        // selects 32 bits); IN/OUT have none and report the 64-bit default.
        let addr_size = (0..ins.op_count())
            .find_map(|i| match ins.op_kind(i) {
                OpKind::MemorySegSI | OpKind::MemoryESDI => Some(16),
                OpKind::MemorySegESI | OpKind::MemoryESEDI => Some(32),
                _ => None,
            })
            .unwrap_or(64);
        // SEG: the effective segment of OUTS (DS unless overridden); INS always uses ES (0).
        let seg = if string && !is_in {
            match ins.segment_prefix() {
                Register::ES => 0,
                Register::CS => 1,
                Register::SS => 2,
                Register::FS => 4,
                Register::GS => 5,
                _ => 3,
            }
        } else {
            0
        };
        let info = IoioInfo { port, is_in, string, rep: ins.has_rep_prefix(), size: size as u8, addr_size, seg };
        let next = ins.next_ip();
        Some(Err(Trap::Exit(VmExit {
            code: SvmExitCode::IOIO,
            info1: info.encode(),
            info2: next,
            int_info: 0,
            next_rip: next,
        })))
    }

    fn port_operand(&self, ins: &Instruction, op: u32) -> u16 {
        match ins.op_kind(op) {
            OpKind::Register => self.reg_read(ins.op_register(op)) as u16,
            _ => ins.immediate(op) as u16,
        }
    }

    /// Hook in exception delivery (`deliver_exception`): an exception raised in the guest whose
    /// vector is intercepted becomes #VMEXIT(0x40 + vector) **before** it is delivered and before
    /// CR2 is written. EXITINFO1 = error code (0 if none), EXITINFO2 = the faulting address for #PF
    /// (reference §2.3), EXITINTINFO = the event that was being delivered when this one arose
    /// (`prior`), nRIP = 0. Returns the exit to perform, if intercepted.
    pub(crate) fn svm_exception_hook(&self, f: &Fault, prior: Option<&IdtEvent>) -> Option<VmExit> {
        if !self.guest_intercepts(I::exception(f.vector)) {
            return None;
        }
        let exit = VmExit {
            code: SvmExitCode::exception(f.vector),
            info1: f.error_code.unwrap_or(0) as u64,
            info2: if f.vector == vector::PF { f.cr2.unwrap_or(0) } else { 0 },
            int_info: prior.map(idt_event).unwrap_or(0),
            next_rip: 0,
        };
        Some(exit)
    }

    /// Hook in exception delivery: a #VMEXIT (e.g. #NPF) while delivering `event` in the guest;
    /// EXITINTINFO records the event (APM 15.7.2).
    pub(crate) fn svm_exit_during_delivery(&self, mut exit: VmExit, event: &IdtEvent) -> VmExit {
        exit.int_info = idt_event(event);
        exit
    }

    /// Hook for a triple fault: in a guest with the SHUTDOWN intercept it becomes
    /// #VMEXIT(SHUTDOWN) (reference §2.2); otherwise the machine shuts down. Returns the exit to
    /// perform, if intercepted.
    pub(crate) fn svm_shutdown_hook(&self) -> Option<VmExit> {
        self.guest_intercepts(I::SHUTDOWN).then(|| VmExit { code: SvmExitCode::SHUTDOWN, ..Default::default() })
    }
}
