//! Descriptors, segment loads, far transfers, and event delivery through the 64-bit IDT
//! (INT n, INT3, INT1, INTO, IRETQ, and exception delivery used by `Processor::deliver_fault`);
//! outside long mode delivery and IRET go through legacy_event.rs.
use super::{is_canonical, ExecResult, Flow};
use crate::cpu::exec::data::{IOPL_MASK, RFLAGS_WRITABLE};
use crate::outcome::{vector, EmuError, Fault, IdtEvent, IdtEventType, Trap, Undelivered, Unmodelled};
use crate::cpu::regs::flags as rf;
use crate::cpu::Segment;
use crate::cpu::processor::{Processor, Virt};
use crate::mem::paging::Access;
use iced_x86::{Code, Instruction, Mnemonic, Register};

const SUPERVISOR_READ: Access = Access { write: false, user: false, fetch: false };
const NT: u64 = 1 << 14;
const RF: u64 = 1 << 16;
const VM: u64 = 1 << 17;

/// Converts a raw 8-byte descriptor to the VMCB-format segment cache.
pub fn segment_from_descriptor(sel: u16, d: u64) -> Segment {
    let base = ((d >> 16) & 0xff_ffff) | ((d >> 32) & 0xff00_0000);
    let mut limit = ((d & 0xffff) | ((d >> 32) & 0xf_0000)) as u32;
    if d & (1 << 55) != 0 {
        limit = (limit << 12) | 0xfff;
    }
    let attrib = (((d >> 40) & 0xff) | (((d >> 52) & 0xf) << 8)) as u16;
    Segment { selector: sel, base, limit, attrib }
}

fn gp_sel(sel: u16) -> Trap {
    Fault::with_code(vector::GP, (sel & !3) as u32).into()
}

/// Exception classes for the double-fault rules (SDM table 6-4 / APM 8.2.9).
#[derive(PartialEq, Eq)]
enum Class {
    Benign,
    Contributory,
    PageFault,
}

fn class(v: u8) -> Class {
    match v {
        vector::DE | vector::TS | vector::NP | vector::SS | vector::GP => Class::Contributory,
        vector::PF => Class::PageFault,
        _ => Class::Benign,
    }
}

/// What is delivered when exception `second` arises while delivering exception `first` (APM
/// 8.2.9 / SDM table 6-5): #DF for contributory after contributory and for #PF or contributory
/// after #PF, else `second`; `None` when `first` is #DF (a triple fault: shutdown).
fn combine(first: u8, second: Fault) -> Option<Fault> {
    if first == vector::DF {
        return None;
    }
    let (c1, c2) = (class(first), class(second.vector));
    Some(if (c1 == Class::Contributory && c2 == Class::Contributory) || (c1 == Class::PageFault && c2 != Class::Benign) {
        Fault::with_code(vector::DF, 0)
    } else {
        second
    })
}

impl<V: Virt> Processor<V> {
    pub(crate) fn seg(&self, r: Register) -> &Segment {
        match r {
            Register::CS => &self.cpu.cs,
            Register::DS => &self.cpu.ds,
            Register::ES => &self.cpu.es,
            Register::SS => &self.cpu.ss,
            Register::FS => &self.cpu.fs,
            _ => &self.cpu.gs,
        }
    }

    fn seg_mut(&mut self, r: Register) -> &mut Segment {
        match r {
            Register::CS => &mut self.cpu.cs,
            Register::DS => &mut self.cpu.ds,
            Register::ES => &mut self.cpu.es,
            Register::SS => &mut self.cpu.ss,
            Register::FS => &mut self.cpu.fs,
            _ => &mut self.cpu.gs,
        }
    }

    /// Reads the 8-byte descriptor of a (non-null) selector from the GDT or LDT.
    pub(crate) fn read_descriptor(&mut self, sel: u16) -> Result<u64, Trap> {
        let table = if sel & 4 != 0 { (self.cpu.ldtr.base, self.cpu.ldtr.limit) } else { (self.cpu.gdtr.base, self.cpu.gdtr.limit as u32) };
        let off = (sel & !7) as u64;
        if off + 7 > table.1 as u64 {
            return Err(gp_sel(sel));
        }
        self.read_lin(table.0.wrapping_add(off), 8, SUPERVISOR_READ)
    }

    /// MOV/POP to DS, ES, FS, GS or SS, with the protection checks (in real mode: selector and
    /// base = selector << 4 only, APM vol.2 1.2.4).
    pub(crate) fn load_data_segment(&mut self, sreg: Register, sel: u16) -> Result<(), Trap> {
        if self.cpu.ctl.cr0 & crate::cpu::control::cr0::PE == 0 {
            let base = (sel as u64) << 4;
            if base != 0 && !matches!(sreg, Register::FS | Register::GS) {
                // Operands ignore DS/ES/SS bases: refuse what would differ.
                return Err(EmuError::Unmodelled(Unmodelled::LegacySegmentBase(sel)).into());
            }
            let s = self.seg_mut(sreg);
            (s.selector, s.base) = (sel, base);
            return Ok(());
        }
        let cpl = self.cpu.cpl;
        if sel & !3 == 0 {
            // Null selector: allowed except for SS at CPL 3 (or with RPL != CPL).
            if sreg == Register::SS && (cpl == 3 || (sel & 3) as u8 != cpl) {
                return Err(gp_sel(0));
            }
            let s = self.seg_mut(sreg);
            *s = Segment { selector: sel, base: 0, limit: 0, attrib: 0 };
            return Ok(());
        }
        let d = self.read_descriptor(sel)?;
        let seg = segment_from_descriptor(sel, d);
        let (rpl, dpl) = ((sel & 3) as u8, seg.dpl());
        let s_bit = seg.attrib & 0x10 != 0;
        let code = seg.attrib & 0x8 != 0;
        let ok = if sreg == Register::SS {
            s_bit && !code && seg.attrib & 0x2 != 0 && rpl == cpl && dpl == cpl
        } else {
            let readable = !code || seg.attrib & 0x2 != 0;
            let conforming = code && seg.attrib & 0x4 != 0;
            s_bit && readable && (conforming || dpl >= cpl.max(rpl))
        };
        if !ok {
            return Err(gp_sel(sel));
        }
        if seg.attrib & 0x80 == 0 {
            let v = if sreg == Register::SS { vector::SS } else { vector::NP };
            return Err(Fault::with_code(v, (sel & !3) as u32).into());
        }
        let keep_base = matches!(sreg, Register::FS | Register::GS);
        let in_64 = self.cpu.ctl.efer & crate::cpu::control::efer::LMA != 0 && self.cpu.cs.long_mode();
        if !in_64 && !keep_base && seg.base != 0 {
            // Operands ignore DS/ES/SS bases (64-bit mode's flat model); refuse what would differ.
            return Err(EmuError::Unmodelled(Unmodelled::LegacySegmentBase(sel)).into());
        }
        let s = self.seg_mut(sreg);
        let base = if keep_base { seg.base & 0xffff_ffff } else { 0 };
        *s = Segment { base, ..seg };
        Ok(())
    }

    /// Loads CS for a far transfer: `new_cpl` becomes the CPL, RIP = `rip`. `ss` (IRET / RETF
    /// to an outer level) is loaded after CS is validated. In real mode CS.selector = `sel` and
    /// CS.base = `sel` << 4, its limit and attributes unchanged (APM vol.2 1.2.4, 4.5.1); IRET
    /// and RETF there (16-bit frames, no SS) are not modelled.
    pub(crate) fn far_transfer(&mut self, sel: u16, rip: u64, ss: Option<u16>) -> Result<(), Trap> {
        if self.cpu.ctl.cr0 & crate::cpu::control::cr0::PE == 0 {
            if ss.is_some() {
                return Err(EmuError::Unmodelled(Unmodelled::Code16).into());
            }
            if rip > self.cpu.cs.limit as u64 {
                return Err(Fault::gp0().into());
            }
            self.cpu.cs.selector = sel;
            self.cpu.cs.base = (sel as u64) << 4;
            self.cpu.regs.rip = rip;
            return Ok(());
        }
        if sel & !3 == 0 {
            return Err(gp_sel(0));
        }
        let d = self.read_descriptor(sel)?;
        let seg = segment_from_descriptor(sel, d);
        let rpl = (sel & 3) as u8;
        let code = seg.attrib & 0x18 == 0x18;
        let conforming = seg.attrib & 0x4 != 0;
        let new_cpl = if ss.is_some() { rpl } else { self.cpu.cpl };
        let dpl_ok = if ss.is_some() {
            if conforming { seg.dpl() <= rpl } else { seg.dpl() == rpl }
        } else if conforming {
            seg.dpl() <= self.cpu.cpl
        } else {
            rpl <= self.cpu.cpl && seg.dpl() == self.cpu.cpl
        };
        if !code || !dpl_ok {
            return Err(gp_sel(sel));
        }
        if seg.attrib & 0x80 == 0 {
            return Err(Fault::with_code(vector::NP, (sel & !3) as u32).into());
        }
        // A 64-bit code segment (long mode only; L and D both set is reserved), else a 32- or
        // 16-bit one by CS.D: protected mode, or compatibility mode under long mode (APM 4.8.1,
        // 4.8.2 — outside long mode the L bit is ignored). Outside 64-bit mode the base counts.
        let lma = self.cpu.ctl.efer & crate::cpu::control::efer::LMA != 0;
        let target64 = lma && seg.long_mode();
        let (rip, base) = if target64 {
            if seg.default_32() {
                return Err(gp_sel(sel));
            }
            if !is_canonical(rip) {
                return Err(Fault::gp0().into());
            }
            (rip, 0)
        } else {
            if rip > seg.limit as u64 {
                return Err(Fault::gp0().into());
            }
            (rip & 0xffff_ffff, seg.base)
        };
        let old_cpl = self.cpu.cpl;
        let saved = (self.cpu.cs, self.cpu.ss);
        self.cpu.cs = Segment { selector: (sel & !3) | new_cpl as u16, base, ..seg };
        self.cpu.cpl = new_cpl;
        if let Some(ss_sel) = ss
            && let Err(e) = self.load_data_segment(Register::SS, ss_sel)
        {
            (self.cpu.cs, self.cpu.ss) = saved;
            self.cpu.cpl = old_cpl;
            return Err(e);
        }
        self.cpu.regs.rip = rip;
        Ok(())
    }

    /// On a return to an outer privilege level, data segments the new CPL may not use are nulled.
    pub(crate) fn clear_segments_for_outer_return(&mut self) {
        let cpl = self.cpu.cpl;
        for r in [Register::DS, Register::ES, Register::FS, Register::GS] {
            let s = self.seg_mut(r);
            let conforming_code = s.attrib & 0x1c == 0x1c;
            if s.selector & !3 != 0 && !conforming_code && s.dpl() < cpl {
                s.selector = 0;
                s.attrib = 0;
            }
        }
    }

    /// Delivers vector `v` through the IDT. `soft` = INT n / INT3 / INTO (gate DPL is checked),
    /// `ext` = set EXT in error codes (delivering an exception). `ret_rip` is the RIP pushed.
    /// On success RIP, CS, RSP, RFLAGS and CPL describe the handler's entry state.
    pub(crate) fn deliver_vector(&mut self, v: u8, code: Option<u32>, ret_rip: u64, soft: bool, ext: bool) -> Result<(), Trap> {
        if self.cpu.ctl.efer & crate::cpu::control::efer::LMA == 0 {
            // Legacy protected mode: 8-byte gates, 32-bit frames (legacy_event.rs).
            return self.deliver_vector_legacy(v, code, ret_rip, soft, ext);
        }
        let e = ext as u32;
        let idt_err = Fault::with_code(vector::GP, (v as u32) * 8 + 2 + e);
        if (v as u64) * 16 + 15 > self.cpu.idtr.limit as u64 {
            return Err(idt_err.into());
        }
        let ga = self.cpu.idtr.base.wrapping_add(v as u64 * 16);
        let lo = self.read_lin(ga, 8, SUPERVISOR_READ)?;
        let hi = self.read_lin(ga.wrapping_add(8), 8, SUPERVISOR_READ)?;
        let ty = (lo >> 40) & 0xf;
        if ty != 0xe && ty != 0xf {
            return Err(idt_err.into());
        }
        let gate_dpl = ((lo >> 45) & 3) as u8;
        if soft && gate_dpl < self.cpu.cpl {
            return Err(Fault::with_code(vector::GP, (v as u32) * 8 + 2).into());
        }
        if lo & (1 << 47) == 0 {
            return Err(Fault::with_code(vector::NP, (v as u32) * 8 + 2 + e).into());
        }
        let target = (lo & 0xffff) | ((lo >> 32) & 0xffff_0000) | (hi << 32);
        let sel = ((lo >> 16) & 0xffff) as u16;
        let ist = (lo >> 32) & 7;
        if sel & !3 == 0 {
            return Err(Fault::with_code(vector::GP, e).into());
        }
        let d = self.read_descriptor(sel)?;
        let cs = segment_from_descriptor(sel, d);
        if cs.attrib & 0x18 != 0x18 || cs.dpl() > self.cpu.cpl {
            return Err(Fault::with_code(vector::GP, (sel & !3) as u32 + e).into());
        }
        if cs.attrib & 0x80 == 0 {
            return Err(Fault::with_code(vector::NP, (sel & !3) as u32 + e).into());
        }
        if !cs.long_mode() {
            return Err(EmuError::Unmodelled(Unmodelled::CompatIdtGate).into());
        }
        if !is_canonical(target) {
            return Err(Fault::with_code(vector::GP, e).into());
        }
        let old_cpl = self.cpu.cpl;
        let new_cpl = if cs.attrib & 0x4 != 0 { old_cpl } else { cs.dpl() };
        let mut rsp = self.cpu.regs.gpr[4];
        let stack_switch = new_cpl < old_cpl;
        if ist != 0 || stack_switch {
            let off = if ist != 0 { 0x24 + 8 * (ist - 1) } else { 4 + 8 * new_cpl as u64 };
            if off + 7 > self.cpu.tr.limit as u64 {
                return Err(Fault::with_code(vector::TS, (self.cpu.tr.selector & !3) as u32 + e).into());
            }
            rsp = self.read_lin(self.cpu.tr.base.wrapping_add(off), 8, SUPERVISOR_READ)?;
        }
        rsp &= !0xf;
        let user = new_cpl == 3;
        let frame = [
            self.cpu.ss.selector as u64,
            self.cpu.regs.gpr[4],
            self.cpu.regs.rflags,
            self.cpu.cs.selector as u64,
            ret_rip,
        ];
        let mut sp = rsp;
        for val in frame.into_iter().chain(code.map(|c| c as u64)) {
            sp = sp.wrapping_sub(8);
            if !is_canonical(sp) {
                return Err(Fault::with_code(vector::SS, e).into());
            }
            self.write_lin_acc(sp, 8, val, Access { write: true, user, fetch: false })?;
        }
        // Commit.
        self.cpu.cs = Segment { selector: (sel & !3) | new_cpl as u16, base: 0, ..cs };
        self.cpu.cpl = new_cpl;
        if stack_switch {
            self.cpu.ss = Segment { selector: new_cpl as u16, base: 0, limit: 0, attrib: 0 };
        }
        self.cpu.regs.gpr[4] = sp;
        let mut fl = self.cpu.regs.rflags & !(rf::TF | NT | RF | VM);
        if ty == 0xe {
            fl &= !rf::IF;
        }
        self.cpu.regs.rflags = fl;
        if self.cpu.msr.debugctl & crate::cpu::lbr::DEBUGCTL_LBR != 0 {
            self.lbr_event(v, target);
        }
        self.cpu.regs.rip = target;
        Ok(())
    }

    /// Delivers an architectural exception raised by the instruction at RIP, applying the
    /// double-fault rules. `Err`: a triple fault (a fault while delivering #DF), a #VMEXIT to
    /// perform (an intercepted exception, or an exit during the delivery), or an emulator error.
    /// `f.during` is the event whose delivery raised `f` (INT n, INT3, INTO), if any.
    ///
    /// This is the single place where exceptions are delivered: the SVM layer hooks its
    /// "is this exception intercepted?" check in front of it.
    pub(crate) fn deliver_exception(&mut self, f: Fault) -> Result<(), Undelivered> {
        let during = f.during;
        self.deliver_exception_during(Fault { during: None, ..f }, during)
    }

    /// `deliver_exception` of a fault `f` raised while `during` was being delivered (an injected
    /// event, an INT n, …): `during` is what EXITINTINFO records if `f` is intercepted (APM
    /// 15.7.2).
    ///
    /// Order, for every fault raised while delivering an exception: first its own intercept
    /// (APM 15.7.2: an intercepted exception raised during the delivery exits with the original
    /// event in EXITINTINFO), then the double-fault rules against the event being delivered (APM
    /// 8.2.9: e.g. #NP while delivering an injected #GP is #DF), whose #DF is checked in turn.
    pub(crate) fn deliver_exception_during(&mut self, f: Fault, during: Option<IdtEvent>) -> Result<(), Undelivered> {
        let rip = self.cpu.regs.rip;
        let mut prior = during;
        let mut cur = f;
        // Whether `cur` was already combined with `prior` by the double-fault rules.
        let mut combined = false;
        loop {
            // SVM hook (svm/guest.rs): an intercepted exception in a guest becomes #VMEXIT here,
            // before delivery and before CR2 is written.
            if self.svm.in_guest()
                && let Some(x) = V::exception_exit(self, &cur, prior.as_ref())
            {
                return Err(Undelivered::Exit(x));
            }
            if let Some(p) = prior
                && p.ty == IdtEventType::Exception
                && !combined
            {
                combined = true;
                let Some(next) = combine(p.vector, cur) else {
                    return Err(Undelivered::TripleFault(format!(
                        "triple fault: {cur} while delivering #DF (first fault {f}) at rip {rip:#x}"
                    )));
                };
                if next != cur {
                    cur = next;
                    continue;
                }
            }
            if let Some(cr2) = cur.cr2 {
                self.cpu.ctl.cr2 = cr2;
            }
            // Delivering an exception is an event external to the program: faults raised during
            // it have EXT set (APM 8.4.1).
            match self.deliver_vector(cur.vector, cur.error_code, rip, false, true) {
                Ok(()) => return Ok(()),
                Err(Trap::Emu(e)) => return Err(Undelivered::Emu(*e)),
                // SVM hook: a #VMEXIT (e.g. #NPF) while delivering in a guest.
                Err(Trap::Exit(x)) => {
                    return Err(Undelivered::Exit(V::exit_during_delivery(self, x, &IdtEvent::exception(&cur))));
                }
                Err(Trap::Fault(second)) => {
                    prior = Some(IdtEvent::exception(&cur));
                    cur = second;
                    combined = false;
                }
            }
        }
    }

    pub(crate) fn exec_interrupt(&mut self, ins: &Instruction) -> ExecResult {
        let next = ins.next_ip();
        let (v, soft) = match ins.mnemonic() {
            Mnemonic::Int => (ins.immediate8(), true),
            Mnemonic::Int3 => (vector::BP, true),
            Mnemonic::Int1 => (vector::DB, false),
            Mnemonic::Into => {
                if !self.flag(rf::OF) {
                    return Ok(Flow::Next);
                }
                (vector::OF, true)
            }
            _ => return self.exec_iret(ins),
        };
        // INT n is a software interrupt (EXITINTINFO type 4); INT3 and INTO are reported as the
        // exceptions they raise (type 3), and INT1 too (APM 15.7.2, 15.20; KVM
        // svm_complete_interrupts). A fault or #VMEXIT during the delivery records the event.
        let ty = if ins.mnemonic() == Mnemonic::Int { IdtEventType::SoftInt } else { IdtEventType::Exception };
        let event = IdtEvent { vector: v, ty, error_code: None, soft };
        match self.deliver_vector(v, None, next, soft, !soft) {
            Ok(()) => Ok(Flow::Jump(self.cpu.regs.rip)),
            Err(Trap::Fault(f)) => Err(Trap::Fault(Fault { during: Some(event), ..f })),
            Err(Trap::Exit(x)) => Err(Trap::Exit(V::exit_during_delivery(self, x, &event))),
            Err(e) => Err(e),
        }
    }

    /// IRET in long mode: always pops RIP, CS, RFLAGS, RSP and SS (outside it: legacy_event.rs).
    fn exec_iret(&mut self, ins: &Instruction) -> ExecResult {
        let size: u32 = match ins.code() {
            Code::Iretq => 8,
            Code::Iretd => 4,
            _ => 2,
        };
        if self.cpu.ctl.efer & crate::cpu::control::efer::LMA == 0 {
            let rip = self.exec_iret_legacy(size)?;
            // IRET ends NMI blocking here too (APM vol.2 8.2.3).
            self.nmi_blocked = false;
            V::iret(self);
            return Ok(Flow::Jump(rip));
        }
        let rsp = self.cpu.regs.gpr[4];
        let mut vals = [0u64; 5];
        for (i, v) in vals.iter_mut().enumerate() {
            *v = self.stack_read(rsp.wrapping_add(i as u64 * size as u64), size)?;
        }
        let [rip, cs, fl, new_rsp, ss] = vals;
        let (cs, ss) = (cs as u16, ss as u16);
        if self.cpu.regs.rflags & NT != 0 {
            return Err(Fault::gp0().into());
        }
        let rpl = (cs & 3) as u8;
        let old_cpl = self.cpu.cpl;
        if rpl < old_cpl {
            return Err(gp_sel(cs));
        }
        // RFLAGS: IOPL only at CPL 0, IF only when CPL <= IOPL (checked at the old CPL).
        let mut mask = RFLAGS_WRITABLE & if size == 2 { 0xffff } else { u64::MAX };
        let iopl = (self.cpu.regs.rflags & IOPL_MASK) >> 12;
        if old_cpl != 0 {
            mask &= !IOPL_MASK;
        }
        if old_cpl as u64 > iopl {
            mask &= !rf::IF;
        }
        self.far_transfer(cs, rip, Some(ss))?;
        if self.cpu.regs.rflags & fl & RF != 0 {
            self.keep_rf();
        }
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !mask) | (fl & mask) | rf::FIXED1;
        self.cpu.regs.gpr[4] = new_rsp;
        if rpl > old_cpl {
            self.clear_segments_for_outer_return();
        }
        // IRET ends NMI blocking (APM vol.2 8.2.3), and a guest's virtual NMI blocking.
        self.nmi_blocked = false;
        V::iret(self);
        Ok(Flow::Jump(rip))
    }
}
