//! The interpreter: operand access and dispatch of decoded instructions to their semantics.
//!
//! Each family of instructions lives in its own file (`alu`, `muldiv`, `shift`, `bits`, `data`,
//! `control`, `string`, `system`, `interrupt`); this file holds what they share: register and
//! memory operand access, the stack, and the dispatch on iced's `Mnemonic`.
#![allow(clippy::cast_possible_truncation, reason = "the interpreter narrows values to the operand size (8, 16, 32 bits): truncation is the instruction's semantics")]
pub(crate) mod alu;
pub(crate) mod bits;
pub(crate) mod control;
pub(crate) mod data;
pub(crate) mod fast;
pub(crate) mod fast_alu;
pub(crate) mod fast_mem;
pub(crate) mod fill;
pub(crate) mod flags;
pub(crate) mod interrupt;
pub(crate) mod legacy_event;
pub(crate) mod muldiv;
pub(crate) mod shift;
pub(crate) mod string;
pub(crate) mod system;

use crate::outcome::{EmuError, Fault, Trap};
use crate::cpu::regs::flags as rf;
use crate::cpu::processor::{Processor, Virt};
use crate::outcome::{StepOutcome, Stop};
use crate::mem::paging::Access;
use iced_x86::{Instruction, Mnemonic, OpKind, Register};

/// Result of executing one instruction.
pub type ExecResult = Result<Flow, Trap>;

/// What an instruction does to control flow besides falling through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    Next,
    Jump(u64),
    /// The instruction did not complete (a REP string chunk): RIP stays at it.
    Repeat,
    /// The machine stops (boxed: rare, and it keeps `Flow` small).
    Stop(Box<Stop>),
}

#[inline]
pub(crate) fn unsupported(ins: &Instruction) -> Trap {
    Trap::from(EmuError::Unsupported { mnemonic: format!("{:?}", ins.mnemonic()).to_lowercase(), rip: ins.ip() })
}

/// Sign-extends the low `size` bytes of `v`.
#[inline]
pub(crate) fn sext(v: u64, size: u32) -> u64 {
    match size {
        1 => v as u8 as i8 as i64 as u64,
        2 => v as u16 as i16 as i64 as u64,
        4 => v as u32 as i32 as i64 as u64,
        _ => v,
    }
}

#[inline]
pub(crate) fn is_canonical(a: u64) -> bool {
    canonical(a) == a
}

/// `a` with bits 63:48 copied from bit 47 (48-bit linear addresses; the model has no LA57).
#[inline]
pub(crate) fn canonical(a: u64) -> u64 {
    (((a << 16) as i64) >> 16) as u64
}

impl<V: Virt> Processor<V> {
    // ---- registers ----
    // iced numbers the GPRs AL..BL = 1..4, AH..BH = 5..8, SPL..R15L = 9..20, AX..R15W = 21..36,
    // EAX..R15D = 37..52, RAX..R15 = 53..68; decoding that arithmetic is faster than its tables.
    #[inline]
    pub(crate) fn reg_read(&self, r: Register) -> u64 {
        let n = r as usize;
        let g = &self.cpu.regs.gpr;
        match n {
            53..=68 => g[n - 53],
            37..=52 => g[n - 37] & 0xffff_ffff,
            21..=36 => g[n - 21] & 0xffff,
            1..=4 => g[n - 1] & 0xff,
            5..=8 => (g[n - 5] >> 8) & 0xff,
            9..=20 => g[n - 5] & 0xff,
            _ => 0,
        }
    }

    #[inline]
    pub(crate) fn reg_write(&mut self, r: Register, val: u64) {
        let n = r as usize;
        let g = &mut self.cpu.regs.gpr;
        match n {
            53..=68 => g[n - 53] = val,
            37..=52 => g[n - 37] = val & 0xffff_ffff,
            21..=36 => g[n - 21] = (g[n - 21] & !0xffff) | (val & 0xffff),
            1..=4 => g[n - 1] = (g[n - 1] & !0xff) | (val & 0xff),
            5..=8 => g[n - 5] = (g[n - 5] & !0xff00) | ((val & 0xff) << 8),
            9..=20 => g[n - 5] = (g[n - 5] & !0xff) | (val & 0xff),
            _ => {}
        }
    }

    /// Operand size in bytes of a general-purpose register.
    #[inline]
    pub(crate) fn gpr_size(r: Register) -> u32 {
        match r as usize {
            53..=68 => 8,
            37..=52 => 4,
            21..=36 => 2,
            1..=20 => 1,
            _ => r.size() as u32,
        }
    }

    /// Reads a full GPR by encoding number.
    #[inline]
    pub(crate) fn gpr(&self, n: usize) -> u64 {
        self.cpu.regs.gpr[n]
    }

    // ---- memory ----
    /// Linear address of the memory operand (segment base applied for FS/GS; 64-bit mode has
    /// flat CS/DS/ES/SS).
    #[inline]
    pub(crate) fn effective_address(&self, ins: &Instruction) -> u64 {
        let mut a = ins.memory_displacement64();
        let base = ins.memory_base();
        let mut addr32 = false;
        if base != Register::None {
            if base == Register::RIP {
                // iced already folded next_ip into the displacement.
            } else if base == Register::EIP {
                addr32 = true;
            } else {
                addr32 = base.size() == 4;
                a = a.wrapping_add(self.reg_read(base));
            }
        }
        let idx = ins.memory_index();
        if idx != Register::None {
            addr32 |= idx.size() == 4;
            a = a.wrapping_add(self.reg_read(idx).wrapping_mul(ins.memory_index_scale() as u64));
        }
        if addr32 {
            a &= 0xffff_ffff;
        }
        match ins.memory_segment() {
            Register::FS => a.wrapping_add(self.cpu.fs.base),
            Register::GS => a.wrapping_add(self.cpu.gs.base),
            _ => a,
        }
    }

    pub(crate) fn data_access(&self, write: bool) -> Access {
        Access { write, user: self.cpu.cpl == 3, fetch: false }
    }

    /// Reads `size` (1..=8) bytes at a linear address with the current CPL.
    #[inline]
    pub(crate) fn read_mem(&mut self, la: u64, size: u32) -> Result<u64, Trap> {
        let acc = self.data_access(false);
        self.read_lin(la, size, acc)
    }

    /// Reads with write intent (the read half of a read-modify-write).
    #[inline]
    pub(crate) fn read_mem_rmw(&mut self, la: u64, size: u32) -> Result<u64, Trap> {
        let acc = self.data_access(true);
        self.read_lin(la, size, acc)
    }

    #[inline]
    pub(crate) fn write_mem(&mut self, la: u64, size: u32, val: u64) -> Result<(), Trap> {
        self.write_lin(la, size, val)
    }

    // ---- operands ----
    #[inline]
    pub(crate) fn op_size(ins: &Instruction, op: u32) -> u32 {
        match ins.op_kind(op) {
            OpKind::Register => Self::gpr_size(ins.op_register(op)),
            OpKind::Memory => ins.memory_size().size() as u32,
            OpKind::Immediate8 => 1,
            OpKind::Immediate16 | OpKind::Immediate8to16 => 2,
            OpKind::Immediate32 | OpKind::Immediate8to32 => 4,
            _ => 8,
        }
    }

    #[inline]
    pub(crate) fn read_op(&mut self, ins: &Instruction, op: u32) -> Result<u64, Trap> {
        match ins.op_kind(op) {
            OpKind::Register => Ok(self.reg_read(ins.op_register(op))),
            OpKind::Memory => {
                let la = self.effective_address(ins);
                self.read_mem(la, ins.memory_size().size() as u32)
            }
            _ => ins
                .try_immediate(op)
                .map_err(|_| Trap::from(EmuError::Operand { ins: ins.to_string(), op, write: false })),
        }
    }

    /// Reads an operand that is about to be written (memory is translated for writing, so a
    /// read-only page faults with W=1 as on hardware).
    #[inline]
    pub(crate) fn read_op_rmw(&mut self, ins: &Instruction, op: u32) -> Result<u64, Trap> {
        match ins.op_kind(op) {
            OpKind::Memory => {
                let la = self.effective_address(ins);
                self.read_mem_rmw(la, ins.memory_size().size() as u32)
            }
            _ => self.read_op(ins, op),
        }
    }

    #[inline]
    pub(crate) fn write_op(&mut self, ins: &Instruction, op: u32, val: u64) -> Result<(), Trap> {
        match ins.op_kind(op) {
            OpKind::Register => {
                self.reg_write(ins.op_register(op), val);
                Ok(())
            }
            OpKind::Memory => {
                let la = self.effective_address(ins);
                self.write_mem(la, ins.memory_size().size() as u32, val)
            }
            _ => Err(Trap::from(EmuError::Operand { ins: ins.to_string(), op, write: true })),
        }
    }

    // ---- stack (64-bit mode: SS base 0, default operand size 8) ----
    pub(crate) fn push(&mut self, size: u32, val: u64) -> Result<(), Trap> {
        let rsp = self.cpu.regs.gpr[4].wrapping_sub(size as u64);
        self.stack_write(rsp, size, val)?;
        self.cpu.regs.gpr[4] = rsp;
        Ok(())
    }

    pub(crate) fn pop(&mut self, size: u32) -> Result<u64, Trap> {
        let rsp = self.cpu.regs.gpr[4];
        let v = self.stack_read(rsp, size)?;
        self.cpu.regs.gpr[4] = rsp.wrapping_add(size as u64);
        Ok(v)
    }

    /// A stack read; a non-canonical stack address is #SS(0).
    pub(crate) fn stack_read(&mut self, la: u64, size: u32) -> Result<u64, Trap> {
        if !is_canonical(la) {
            return Err(Fault::with_code(crate::outcome::vector::SS, 0).into());
        }
        self.read_mem(la, size)
    }

    pub(crate) fn stack_write(&mut self, la: u64, size: u32, val: u64) -> Result<(), Trap> {
        if !is_canonical(la) {
            return Err(Fault::with_code(crate::outcome::vector::SS, 0).into());
        }
        self.write_mem(la, size, val)
    }

    // ---- flags ----
    #[inline]
    pub(crate) fn set_status(&mut self, f: u64) {
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !rf::STATUS) | f;
    }

    /// Replaces the flags in `mask` with those of `f`.
    #[inline]
    pub(crate) fn set_flags_masked(&mut self, f: u64, mask: u64) {
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !mask) | (f & mask);
    }

    #[inline]
    pub(crate) fn flag(&self, f: u64) -> bool {
        self.cpu.regs.rflags & f != 0
    }

    /// #GP(0) unless CPL is 0.
    #[inline]
    pub(crate) fn require_cpl0(&self) -> Result<(), Trap> {
        if self.cpu.cpl != 0 { Err(Fault::gp0().into()) } else { Ok(()) }
    }

    /// Executes one decoded instruction (RIP still points at it).
    pub fn execute(&mut self, ins: &Instruction) -> ExecResult {
        use Mnemonic as M;
        // SVM hook (svm/insn.rs): guest intercept checks, and VMRUN/VMLOAD/VMSAVE/STGI/CLGI/...
        if let Some(r) = V::pre_execute(self, ins) {
            return r;
        }
        match ins.mnemonic() {
            M::Add | M::Adc | M::Sub | M::Sbb | M::Cmp | M::And | M::Or | M::Xor | M::Test => self.exec_alu2(ins),
            M::Inc | M::Dec | M::Neg | M::Not => self.exec_alu1(ins),
            M::Mul | M::Imul | M::Div | M::Idiv => self.exec_muldiv(ins),
            M::Shl | M::Sal | M::Shr | M::Sar | M::Rol | M::Ror | M::Rcl | M::Rcr | M::Shld | M::Shrd => {
                self.exec_shift(ins)
            }
            M::Bt | M::Bts | M::Btr | M::Btc | M::Bsf | M::Bsr | M::Tzcnt | M::Lzcnt | M::Popcnt | M::Andn
            | M::Blsi | M::Blsmsk | M::Blsr | M::Bextr => self.exec_bits(ins),
            M::Movsb | M::Movsw | M::Movsd | M::Movsq | M::Stosb | M::Stosw | M::Stosd | M::Stosq | M::Lodsb
            | M::Lodsw | M::Lodsd | M::Lodsq | M::Cmpsb | M::Cmpsw | M::Cmpsd | M::Cmpsq | M::Scasb | M::Scasw
            | M::Scasd | M::Scasq | M::Insb | M::Insw | M::Insd | M::Outsb | M::Outsw | M::Outsd => self.exec_string(ins),
            M::Jmp | M::Call | M::Ret | M::Retf | M::Loop | M::Loope | M::Loopne | M::Jrcxz | M::Jecxz
            | M::Ja | M::Jae | M::Jb | M::Jbe | M::Je | M::Jne | M::Jg | M::Jge | M::Jl | M::Jle | M::Jo
            | M::Jno | M::Jp | M::Jnp | M::Js | M::Jns => self.exec_control(ins),
            M::Int | M::Int3 | M::Int1 | M::Into | M::Iretq | M::Iretd | M::Iret => self.exec_interrupt(ins),
            _ => {
                if let Some(r) = self.exec_data(ins) {
                    return r;
                }
                self.exec_system(ins)
            }
        }
    }
}

/// Convenience for the machine loop.
pub(crate) fn outcome_of(flow: Flow) -> StepOutcome {
    match flow {
        Flow::Stop(s) => StepOutcome::Stopped(*s),
        _ => StepOutcome::Retired,
    }
}
