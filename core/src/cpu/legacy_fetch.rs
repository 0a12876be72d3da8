//! The cold fetch path: code outside 64-bit mode (protected, compatibility and real mode; 32- and
//! 16-bit code through iced's decoder of that bitness) and any code while DR7 enables a
//! breakpoint (instruction breakpoints, RFLAGS.RF), without the decode cache and the pre-decoded
//! fast forms of `Processor::fetch_execute`.
#![allow(clippy::cast_possible_truncation, reason = "page offsets (at most 0x1000) become buffer lengths")]
use crate::cpu::decode;
use crate::cpu::exec::Flow;
use crate::cpu::processor::{DR7_ENABLES, Processor, RF, Virt};
use crate::mem::paging::Access;
use crate::outcome::{EmuError, Fault, Trap};
use iced_x86::Instruction;

impl<V: Virt> Processor<V> {
    /// The instruction breakpoint at linear address `la`, if an enabled DR0–DR3 execute breakpoint
    /// (R/W = 00) matches it and RFLAGS.RF does not suppress it: a #DB fault before the
    /// instruction, with DR6.Bn set (APM vol.2 13.1.1, 13.1.3.3). Data and I/O breakpoints are
    /// not modelled: enabling one stops the run by name.
    #[cold]
    fn code_breakpoint(&mut self, la: u64) -> Result<(), Trap> {
        let dr7 = self.cpu.ctl.dr[7];
        let mut hit = 0;
        for i in 0..4 {
            if (dr7 >> (2 * i)) & 3 == 0 {
                continue;
            }
            let rw = ((dr7 >> (16 + 4 * i)) & 3) as u8;
            if rw != 0 {
                return Err(EmuError::Unmodelled(crate::outcome::Unmodelled::DataBreakpoint(rw)).into());
            }
            if self.cpu.ctl.dr[i] == la {
                hit |= 1 << i;
            }
        }
        if hit != 0 && self.cpu.regs.rflags & RF == 0 {
            self.cpu.ctl.dr[6] |= hit;
            return Err(Fault::new(crate::outcome::vector::DB).into());
        }
        Ok(())
    }

    /// Fetch and execute without the decode cache and the pre-decoded fast forms: code outside
    /// 64-bit mode (protected, compatibility or real mode; 32- or 16-bit code; EIP wraps at
    /// 4 GiB, IP is not wrapped at 64 KiB), and any code while DR7 enables a breakpoint (checked
    /// here, before the fetch).
    #[cold]
    pub(crate) fn fetch_execute_legacy(&mut self) -> Result<Flow, Trap> {
        let bits = self.code_bitness();
        let mask = if bits == 64 { u64::MAX } else { 0xffff_ffff };
        let rip = self.cpu.regs.rip & mask;
        let la = if bits == 64 { rip } else { rip.wrapping_add(self.cpu.cs.base) & mask };
        if self.cpu.ctl.dr[7] & DR7_ENABLES != 0 {
            self.code_breakpoint(la)?;
        }
        let acc = Access { fetch: true, ..self.data_access(false) };
        let mut buf = [0u8; 15];
        let first = ((0x1000 - (la & 0xfff)) as usize).min(15);
        self.read_lin_bytes(la, &mut buf[..first], acc)?;
        let ins = match decode::decode(bits, &buf[..first], rip) {
            Some(ins) if ins.len() <= first => ins,
            _ => {
                if first < 15 {
                    self.read_lin_bytes(la.wrapping_add(first as u64) & mask, &mut buf[first..], acc)?;
                }
                decode::decode(bits, &buf, rip).ok_or_else(|| Trap::from(Fault::ud()))?
            }
        };
        if bits != 64 {
            self.legacy_operands_modelled(&ins)?;
        }
        let flow = self.execute(&ins)?;
        match flow {
            Flow::Jump(t) => self.cpu.regs.rip = t,
            Flow::Repeat => {}
            _ => self.cpu.regs.rip = ins.next_ip() & mask,
        }
        Ok(flow)
    }

    /// Outside 64-bit mode operands are computed as in the flat model (no DS/ES/SS base, 32- or
    /// 64-bit address arithmetic): refuse by name an instruction for which that would differ —
    /// a memory operand through a segment with a non-zero base, 16-bit addressing, or a stack
    /// access with a based or 16-bit stack (real mode, or SS.B = 0).
    #[cold]
    fn legacy_operands_modelled(&self, ins: &Instruction) -> Result<(), Trap> {
        use crate::outcome::Unmodelled;
        use iced_x86::{OpKind, Register};
        let refuse = |u| Err(Trap::from(EmuError::Unmodelled(u)));
        let mut mem = false;
        for i in 0..ins.op_count() {
            match ins.op_kind(i) {
                OpKind::Memory => mem = true,
                OpKind::MemorySegSI | OpKind::MemorySegDI | OpKind::MemoryESDI => return refuse(Unmodelled::Code16),
                OpKind::MemorySegESI | OpKind::MemorySegEDI | OpKind::MemoryESEDI => {
                    let seg = if ins.op_kind(i) == OpKind::MemoryESEDI { Register::ES } else { ins.memory_segment() };
                    let s = self.seg(seg);
                    if !matches!(seg, Register::FS | Register::GS) && s.base != 0 {
                        return refuse(Unmodelled::LegacySegmentBase(s.selector));
                    }
                }
                _ => {}
            }
        }
        if mem {
            if ins.memory_base().size() == 2 || ins.memory_index().size() == 2 {
                return refuse(Unmodelled::Code16);
            }
            let seg = ins.memory_segment();
            let s = self.seg(seg);
            if !matches!(seg, Register::FS | Register::GS) && s.base != 0 {
                return refuse(Unmodelled::LegacySegmentBase(s.selector));
            }
        }
        if ins.stack_pointer_increment() != 0 {
            let real = self.cpu.ctl.cr0 & crate::cpu::control::cr0::PE == 0;
            if real || !self.cpu.ss.default_32() {
                return refuse(Unmodelled::Code16);
            }
            if self.cpu.ss.base != 0 {
                return refuse(Unmodelled::LegacySegmentBase(self.cpu.ss.selector));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::Cpu;
    use crate::mem::{Hpa, PhysMem};
    use crate::outcome::{Stepped, Stop};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// APM vol.2 13.1.1 / 13.1.3.3: an enabled DR0 execute breakpoint (DR7 L0, R/W0 = 00) is a
    /// #DB fault before the instruction at DR0 executes, with DR6.B0 set and the instruction's
    /// address pushed; RFLAGS.RF = 1 in the IRET image suppresses it for that one instruction,
    /// and RF is clear again once the instruction completed.
    #[test]
    fn instruction_breakpoint_faults_and_rf_suppresses_it_once() {
        let src = "bits 64\nmov rsp, 0x200000\nlea rax, [rel target]\nmov dr0, rax\nmov eax, 0x403\nmov dr7, rax\n\
                   target: inc rcx\npushfq\npop rdx\nxor eax, eax\nout 0xf4, al\n\
                   handler: inc rbx\nmov rsi, [rsp]\nor qword [rsp+16], 0x10000\niretq\n";
        let code = crate::asm::assemble(src).expect("assembles");
        let handler = code.symbols.get("handler").copied().expect("handler label");
        let target = code.symbols.get("target").copied().expect("target label");
        assert_eq!(code.origin, 0x100000, "labels are absolute addresses");
        let mut mem = PhysMem::new(4 << 20);
        for (a, v) in [(0x1008u64, 0x00AF_9B00_0000_FFFFu64), (0x1010, 0x00CF_9300_0000_FFFF), (0x2000, 0x3003), (0x3000, 0x83)] {
            mem.write_u64(Hpa(a), v).expect("inside RAM");
        }
        // IDT at 0x4000: vector 1 = a 64-bit interrupt gate (P, DPL 0, type 0xE) to `handler`.
        let gate_lo = (handler & 0xffff) | 0x08 << 16 | 0x8e00u64 << 32 | (handler >> 16 & 0xffff) << 48;
        mem.write_u64(Hpa(0x4010), gate_lo).expect("inside RAM");
        mem.write_u64(Hpa(0x4018), handler >> 32).expect("inside RAM");
        mem.write(Hpa(0x100000), &code.bytes).expect("inside RAM");
        let mut p = Processor::new(Cpu::contract_entry(), mem, ());
        p.cpu.idtr = crate::cpu::DescTable { base: 0x4000, limit: 0xfff };
        let stop = p.run_until_stop(100);
        assert_eq!(stop, Some(Stop::DebugExit(0)));
        let g = &p.cpu.regs.gpr;
        assert_eq!(g[3], 1, "one #DB: RF suppressed the breakpoint on the re-executed instruction");
        assert_eq!(g[6], target, "the fault pushed the breakpoint's address");
        assert_eq!(g[1], 1, "the instruction executed once");
        assert_eq!(g[2] & RF, 0, "RF cleared after the instruction completed");
        assert_eq!(p.cpu.ctl.dr[6] & 0xf, 1, "DR6.B0");
    }

    /// What kvm-unit-tests mode_switch does, without paging: from 32-bit protected mode a far JMP
    /// to a 16-bit code segment (D = 0: 16-bit code, APM vol.2 4.7.2), CR0.PE cleared there, far
    /// JMPs in real mode (CS.base = selector << 4, APM vol.2 1.2.4; limit and attributes kept, so
    /// EIP may stay above 64 KiB), CR0.PE set and a far JMP to a 32-bit code segment. Bytes from
    /// nasm 2.16 (`bits 32` / `bits 16`, org 0x100000):
    ///   jmp 0x20:pm16 / pm16: mov eax,cr0 / and eax,~1 / mov cr0,eax / jmp dword 0:real /
    ///   real: mov ebx,cr0 / jmp dword 0x10:(real2-0x100) / real2: mov dx,cs / or eax,1 /
    ///   mov cr0,eax / jmp dword 0x18:pm32 / pm32: mov ecx,0x1234 / xor eax,eax / out 0xf4,al
    #[test]
    fn far_jumps_through_16_bit_protected_mode_and_real_mode() {
        const CODE: [u8; 62] = [
            0xea, 0x07, 0x00, 0x10, 0x00, 0x20, 0x00, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xe0, 0xfe, 0x0f, 0x22, 0xc0, 0x66,
            0xea, 0x19, 0x00, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x20, 0xc3, 0x66, 0xea, 0x24, 0xff, 0x0f, 0x00, 0x10, 0x00,
            0x8c, 0xca, 0x66, 0x83, 0xc8, 0x01, 0x0f, 0x22, 0xc0, 0x66, 0xea, 0x35, 0x00, 0x10, 0x00, 0x18, 0x00, 0xb9,
            0x34, 0x12, 0x00, 0x00, 0x31, 0xc0, 0xe6, 0xf4,
        ];
        let mut mem = PhysMem::new(4 << 20);
        // GDT: 0x18 flat 32-bit code (D = 1), 0x20 flat 16-bit code (D = 0, G = 1: 4 GiB limit).
        for (a, v) in [(0x1018u64, 0x00CF_9B00_0000_FFFFu64), (0x1020, 0x008F_9B00_0000_FFFF)] {
            mem.write_u64(Hpa(a), v).expect("inside RAM");
        }
        mem.write(Hpa(0x100000), &CODE).expect("inside RAM");
        let mut cpu = Cpu::contract_entry();
        cpu.ctl.cr0 = crate::cpu::control::cr0::PE | crate::cpu::control::cr0::ET;
        (cpu.ctl.efer, cpu.ctl.cr4, cpu.ctl.cr3) = (0, 0, 0);
        cpu.gdtr = crate::cpu::DescTable { base: 0x1000, limit: 0x27 };
        cpu.cs = crate::cpu::exec::interrupt::segment_from_descriptor(0x18, 0x00CF_9B00_0000_FFFF);
        let mut p = Processor::new(cpu, mem, ());
        let mut bits = Vec::new();
        let mut stop = None;
        for _ in 0..20 {
            bits.push(p.code_bitness());
            let r = p.fetch_execute();
            match p.resolve(r).expect("no emulator error") {
                Stepped::Retired => p.steps += 1,
                Stepped::Stopped(s) => {
                    stop = Some(s);
                    break;
                }
                Stepped::Exited(x) => panic!("no extension, yet an exit {x:?}"),
            }
        }
        assert_eq!(stop, Some(Stop::DebugExit(0)));
        assert_eq!(bits, [32, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 32, 32, 32]);
        let g = &p.cpu.regs.gpr;
        assert_eq!(g[3] & 1, 0, "CR0.PE read back clear in real mode");
        assert_eq!(g[2] & 0xffff, 0x10, "CS.selector after the real-mode far JMP");
        assert_eq!(g[1], 0x1234);
        assert_eq!((p.cpu.cs.selector, p.cpu.cs.base, p.cpu.cs.default_32()), (0x18, 0, true));
    }
}
