//! Event delivery and IRET in legacy protected mode (EFER.LMA = 0, CR0.PE = 1; APM vol.2 8.7
//! "Legacy Protected-Mode Interrupt Control Transfers"): 8-byte 32-bit interrupt and trap gates,
//! 32-bit stack frames, the stack switch through a 32-bit TSS (SS0/ESP0 … SS2/ESP2), and the IRETD
//! that returns through such a frame. Refused by name (`Unmodelled::LegacyEvent`): task gates,
//! 16-bit gates, real mode's IVT, virtual-8086 mode and IRET with NT (a task return). Stacks are
//! flat: an SS with a non-zero base or a 16-bit SS is refused as everywhere outside 64-bit mode.
use super::interrupt::segment_from_descriptor;
use crate::cpu::Segment;
use crate::cpu::exec::data::{IOPL_MASK, RFLAGS_WRITABLE};
use crate::cpu::processor::{Processor, Virt};
use crate::cpu::regs::flags as rf;
use crate::mem::paging::Access;
use crate::outcome::{EmuError, Fault, Trap, Unmodelled, vector};

const SUPERVISOR_READ: Access = Access { write: false, user: false, fetch: false };
const NT: u64 = 1 << 14;
const RF: u64 = 1 << 16;
const VM: u64 = 1 << 17;

fn refuse(v: u8) -> Trap {
    EmuError::Unmodelled(Unmodelled::LegacyEvent(v)).into()
}

impl<V: Virt> Processor<V> {
    /// `deliver_vector` outside long mode (same contract): through the 32-bit IDT.
    pub(crate) fn deliver_vector_legacy(&mut self, v: u8, code: Option<u32>, ret_rip: u64, soft: bool, ext: bool) -> Result<(), Trap> {
        if self.cpu.ctl.cr0 & crate::cpu::control::cr0::PE == 0 || self.cpu.regs.rflags & VM != 0 {
            // Real mode's interrupt vector table, virtual-8086 mode: not modelled.
            return Err(refuse(v));
        }
        let e = ext as u32;
        let idt_err = Fault::with_code(vector::GP, (v as u32) * 8 + 2 + e);
        if (v as u64) * 8 + 7 > self.cpu.idtr.limit as u64 {
            return Err(idt_err.into());
        }
        let gate = self.read_lin(self.cpu.idtr.base.wrapping_add(v as u64 * 8) & 0xffff_ffff, 8, SUPERVISOR_READ)?;
        let ty = (gate >> 40) & 0x1f;
        match ty {
            0x0e | 0x0f => {}
            // Task gate (0x05), 16-bit interrupt/trap gates (0x06/0x07): not modelled.
            0x05..=0x07 => return Err(refuse(v)),
            _ => return Err(idt_err.into()),
        }
        if soft && (((gate >> 45) & 3) as u8) < self.cpu.cpl {
            return Err(Fault::with_code(vector::GP, (v as u32) * 8 + 2).into());
        }
        if gate & (1 << 47) == 0 {
            return Err(Fault::with_code(vector::NP, (v as u32) * 8 + 2 + e).into());
        }
        let target = (gate & 0xffff) | ((gate >> 32) & 0xffff_0000);
        let sel = ((gate >> 16) & 0xffff) as u16;
        if sel & !3 == 0 {
            return Err(Fault::with_code(vector::GP, e).into());
        }
        let cs = segment_from_descriptor(sel, self.read_descriptor(sel)?);
        if cs.attrib & 0x18 != 0x18 || cs.dpl() > self.cpu.cpl {
            return Err(Fault::with_code(vector::GP, (sel & !3) as u32 + e).into());
        }
        if cs.attrib & 0x80 == 0 {
            return Err(Fault::with_code(vector::NP, (sel & !3) as u32 + e).into());
        }
        if target > cs.limit as u64 {
            return Err(Fault::with_code(vector::GP, e).into());
        }
        let old_cpl = self.cpu.cpl;
        let new_cpl = if cs.attrib & 0x4 != 0 { old_cpl } else { cs.dpl() };
        let ts_err = Fault::with_code(vector::TS, (self.cpu.tr.selector & !3) as u32 + e);
        // The stack of the handler: the TSS's SSn:ESPn for an inner level (APM 8.7.5).
        let (ss, esp) = if new_cpl < old_cpl {
            let off = 4 + 8 * new_cpl as u64;
            if off + 5 > self.cpu.tr.limit as u64 {
                return Err(ts_err.into());
            }
            let esp = self.read_lin(self.cpu.tr.base.wrapping_add(off), 4, SUPERVISOR_READ)?;
            let ss_sel = self.read_lin(self.cpu.tr.base.wrapping_add(off + 4), 2, SUPERVISOR_READ)? as u16;
            if ss_sel & !3 == 0 {
                return Err(ts_err.into());
            }
            let ss = segment_from_descriptor(ss_sel, self.read_descriptor(ss_sel)?);
            let writable_data = ss.attrib & 0x1a == 0x12;
            if !writable_data || ss.dpl() != new_cpl || (ss_sel & 3) as u8 != new_cpl {
                return Err(Fault::with_code(vector::TS, (ss_sel & !3) as u32 + e).into());
            }
            if ss.attrib & 0x80 == 0 {
                return Err(Fault::with_code(vector::SS, (ss_sel & !3) as u32 + e).into());
            }
            (ss, esp)
        } else {
            (self.cpu.ss, self.cpu.regs.gpr[4] & 0xffff_ffff)
        };
        if ss.base != 0 {
            return Err(EmuError::Unmodelled(Unmodelled::LegacySegmentBase(ss.selector)).into());
        }
        if !ss.default_32() {
            return Err(EmuError::Unmodelled(Unmodelled::Code16).into());
        }
        let mut frame = Vec::with_capacity(6);
        if new_cpl < old_cpl {
            frame.extend([self.cpu.ss.selector as u64, self.cpu.regs.gpr[4] & 0xffff_ffff]);
        }
        frame.extend([self.cpu.regs.rflags & 0xffff_ffff, self.cpu.cs.selector as u64, ret_rip & 0xffff_ffff]);
        frame.extend(code.map(|c| c as u64));
        let acc = Access { write: true, user: new_cpl == 3, fetch: false };
        let mut sp = esp;
        for val in frame {
            sp = sp.wrapping_sub(4) & 0xffff_ffff;
            self.write_lin_acc(sp, 4, val, acc)?;
        }
        // Commit.
        self.cpu.cs = Segment { selector: (sel & !3) | new_cpl as u16, ..cs };
        self.cpu.cpl = new_cpl;
        self.cpu.ss = ss;
        self.cpu.regs.gpr[4] = sp;
        let mut fl = self.cpu.regs.rflags & !(rf::TF | NT | RF | VM);
        if ty == 0x0e {
            fl &= !rf::IF;
        }
        self.cpu.regs.rflags = fl;
        self.cpu.regs.rip = target;
        Ok(())
    }

    /// IRETD in legacy protected mode (APM vol.3 IRET, "protected mode"): pops EIP, CS and
    /// EFLAGS, and ESP and SS when returning to an outer level. With a 16-bit operand size, NT
    /// set (a task return) or a return to virtual-8086 mode: not modelled.
    pub(crate) fn exec_iret_legacy(&mut self, size: u32) -> Result<u64, Trap> {
        if size != 4 || self.cpu.regs.rflags & NT != 0 {
            return Err(refuse(0));
        }
        let esp = self.cpu.regs.gpr[4] & 0xffff_ffff;
        let read = |p: &mut Self, i: u64| p.stack_read((esp + 4 * i) & 0xffff_ffff, 4);
        let (rip, cs, fl) = (read(self, 0)?, read(self, 1)? as u16, read(self, 2)?);
        let old_cpl = self.cpu.cpl;
        if fl & VM != 0 && old_cpl == 0 {
            return Err(refuse(0));
        }
        let rpl = (cs & 3) as u8;
        if rpl < old_cpl {
            return Err(Fault::with_code(vector::GP, (cs & !3) as u32).into());
        }
        let outer = rpl > old_cpl;
        let (new_esp, ss) = if outer { (read(self, 3)?, Some(read(self, 4)? as u16)) } else { (esp + 12, None) };
        let mut mask = RFLAGS_WRITABLE & 0xffff_ffff;
        let iopl = (self.cpu.regs.rflags & IOPL_MASK) >> 12;
        if old_cpl != 0 {
            mask &= !IOPL_MASK;
        }
        if old_cpl as u64 > iopl {
            mask &= !rf::IF;
        }
        let keep_rf = self.cpu.regs.rflags & fl & RF != 0;
        // An outer return loads SS too (a based SS is refused there, as by every segment load).
        self.far_transfer(cs, rip, ss)?;
        if keep_rf {
            self.keep_rf();
        }
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !mask) | (fl & mask) | rf::FIXED1;
        self.cpu.regs.gpr[4] = new_esp & 0xffff_ffff;
        if outer {
            self.clear_segments_for_outer_return();
        }
        Ok(self.cpu.regs.rip)
    }
}

#[cfg(test)]
mod tests {
    use crate::cpu::Cpu;
    use crate::cpu::control::cr0;
    use crate::cpu::exec::interrupt::segment_from_descriptor;
    use crate::cpu::processor::Processor;
    use crate::mem::{Hpa, PhysMem};
    use crate::outcome::Stop;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// nasm 2.16 output of a 32-bit protected-mode program (org 0x100000; source in the test's
    /// comment): INT 0x21 at CPL 0 through an interrupt gate and IRETD back; IRETD to CPL 3;
    /// INT 0x21 at CPL 3 (gate DPL 0: #GP to vector 13, IRETD back to CPL 3); INT 0x80 through
    /// a DPL-3 trap gate to CPL 0 on the TSS's SS0:ESP0.
    const PROGRAM: [u8; 100] = [
        0xbc, 0x00, 0x80, 0x00, 0x00, 0xfb, 0xcd, 0x21, 0x6a, 0x23, 0x68, 0x00, 0x70, 0x00, 0x00, 0x9c, 0x6a, 0x1b,
        0x68, 0x18, 0x00, 0x10, 0x00, 0xcf, 0xcd, 0x21, 0xcd, 0x80, 0xf4, 0x8b, 0x04, 0x24, 0xa3, 0x00, 0x50, 0x00,
        0x00, 0x8b, 0x44, 0x24, 0x04, 0xa3, 0x04, 0x50, 0x00, 0x00, 0x8b, 0x44, 0x24, 0x08, 0xa3, 0x08, 0x50, 0x00,
        0x00, 0x9c, 0x58, 0xa3, 0x0c, 0x50, 0x00, 0x00, 0x89, 0x25, 0x10, 0x50, 0x00, 0x00, 0xcf, 0x8b, 0x34, 0x24,
        0x89, 0xe7, 0x83, 0x44, 0x24, 0x04, 0x02, 0x83, 0xc4, 0x04, 0xcf, 0x89, 0xe5, 0x8b, 0x44, 0x24, 0x0c, 0x8b,
        0x5c, 0x24, 0x10, 0x31, 0xc9, 0x66, 0x8c, 0xc9, 0xe6, 0xf4,
    ];
    // start: mov esp,0x8000 / sti / int 0x21 / push 0x23 / push 0x7000 / pushfd / push 0x1b /
    //        push user / iretd
    // user:  int 0x21 / int 0x80 / hlt
    // h21 (0x1d): store [esp], [esp+4], [esp+8], EFLAGS and ESP at 0x5000..0x5010 / iretd
    // h13 (0x45): mov esi,[esp] / mov edi,esp / add dword [esp+4],2 / add esp,4 / iretd
    // h80 (0x53): mov ebp,esp / mov eax,[esp+12] / mov ebx,[esp+16] / xor ecx,ecx / mov cx,cs /
    //             out 0xf4,al
    const ORG: u64 = 0x100000;

    fn gate(offset: u64, type_attr: u64) -> u64 {
        (offset & 0xffff) | 0x08 << 16 | type_attr << 40 | (offset >> 16) << 48
    }

    /// APM vol.2 8.7.2–8.7.5 (legacy protected-mode control transfers): the 32-bit frames with
    /// and without a privilege change, the gate DPL check of INT n, the TSS stack, IF cleared by
    /// an interrupt gate and kept by a trap gate; IRETD to the same and to an outer level.
    #[test]
    fn int_and_iretd_through_the_32_bit_idt() {
        let mut mem = PhysMem::new(4 << 20);
        let gdt = [0, 0x00CF_9B00_0000_FFFFu64, 0x00CF_9300_0000_FFFF, 0x00CF_FB00_0000_FFFF, 0x00CF_F300_0000_FFFF];
        for (i, d) in gdt.iter().enumerate() {
            mem.write_u64(Hpa(0x1000 + 8 * i as u64), *d).expect("inside RAM");
        }
        for (v, g) in [(0x21u64, gate(ORG + 0x1d, 0x8e)), (0x80, gate(ORG + 0x53, 0xef)), (13, gate(ORG + 0x45, 0x8e))] {
            mem.write_u64(Hpa(0x4000 + 8 * v), g).expect("inside RAM");
        }
        mem.write(Hpa(0x3004), &0x9000u32.to_le_bytes()).expect("inside RAM"); // ESP0
        mem.write(Hpa(0x3008), &0x10u16.to_le_bytes()).expect("inside RAM"); // SS0
        mem.write(Hpa(ORG), &PROGRAM).expect("inside RAM");
        let mut cpu = Cpu::contract_entry();
        cpu.ctl.cr0 = cr0::PE | cr0::ET;
        (cpu.ctl.efer, cpu.ctl.cr4, cpu.ctl.cr3) = (0, 0, 0);
        cpu.gdtr = crate::cpu::DescTable { base: 0x1000, limit: 0x27 };
        cpu.idtr = crate::cpu::DescTable { base: 0x4000, limit: 0x7ff };
        cpu.cs = segment_from_descriptor(0x08, gdt[1]);
        let data = segment_from_descriptor(0x10, gdt[2]);
        (cpu.ss, cpu.ds, cpu.es) = (data, data, data);
        cpu.tr = crate::cpu::Segment { selector: 0x28, base: 0x3000, limit: 0x67, attrib: 0x8b };
        let mut p = Processor::new(cpu, mem, ());
        let stop = p.run_until_stop(100);
        assert_eq!(stop, Some(Stop::DebugExit(0)));
        let d = |a: u64| p.mem.read_u32(Hpa(a)).expect("inside RAM");
        // INT 0x21 at CPL 0: EIP after the INT, CS, EFLAGS (IF set) pushed; IF clear inside.
        assert_eq!((d(0x5000), d(0x5004) & 0xffff, d(0x5008)), (0x100008, 0x08, 0x202));
        assert_eq!((d(0x500c), d(0x5010)), (0x002, 0x8000 - 12));
        let g = &p.cpu.regs.gpr;
        // INT 0x21 at CPL 3: #GP(0x21 * 8 + 2) on the TSS stack (SS, ESP, EFLAGS, CS, EIP, code).
        assert_eq!((g[6], g[7]), (0x21 * 8 + 2, 0x9000 - 24));
        // INT 0x80 at CPL 3: the user SS:ESP pushed on the TSS stack, CS = 0x08 at CPL 0.
        assert_eq!((g[5], g[0], g[3], g[1]), (0x9000 - 20, 0x7000, 0x23, 0x08));
        assert_eq!((p.cpu.cpl, p.cpu.ss.selector), (0, 0x10));
        assert_ne!(p.cpu.regs.rflags & crate::cpu::regs::flags::IF, 0, "a trap gate keeps IF");
    }
}
