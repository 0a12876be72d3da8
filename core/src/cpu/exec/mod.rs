//! The interpreter: operand access and dispatch of decoded instructions to their semantics.
pub mod flags;

use crate::cpu::fault::{EmuError, Fault, Trap};
use crate::cpu::regs::flags as rf;
use crate::machine::{Machine, StepOutcome, Stop};
use crate::mem::paging::Access;
use crate::mem::Gva;
use iced_x86::{Instruction, Mnemonic, OpKind, Register};

/// Result of executing one instruction.
pub type ExecResult = Result<Flow, Trap>;

/// What an instruction does to control flow besides falling through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    Next,
    Jump(u64),
    Stop(Stop),
}

impl Machine {
    // ---- registers ----
    pub(crate) fn reg_read(&self, r: Register) -> u64 {
        let full = r.full_register();
        let v = self.cpu.regs.gpr[full.number()];
        match r.size() {
            8 => v,
            4 => v & 0xffff_ffff,
            2 => v & 0xffff,
            _ => {
                if matches!(r, Register::AH | Register::CH | Register::DH | Register::BH) {
                    (v >> 8) & 0xff
                } else {
                    v & 0xff
                }
            }
        }
    }

    pub(crate) fn reg_write(&mut self, r: Register, val: u64) {
        let full = r.full_register();
        let slot = &mut self.cpu.regs.gpr[full.number()];
        match r.size() {
            8 => *slot = val,
            4 => *slot = val & 0xffff_ffff,
            2 => *slot = (*slot & !0xffff) | (val & 0xffff),
            _ => {
                if matches!(r, Register::AH | Register::CH | Register::DH | Register::BH) {
                    *slot = (*slot & !0xff00) | ((val & 0xff) << 8)
                } else {
                    *slot = (*slot & !0xff) | (val & 0xff)
                }
            }
        }
    }

    // ---- memory ----
    /// Linear address of the memory operand.
    pub(crate) fn effective_address(&self, ins: &Instruction) -> u64 {
        let mut a = ins.memory_displacement64();
        let base = ins.memory_base();
        if base != Register::None && base != Register::RIP && base != Register::EIP {
            a = a.wrapping_add(self.reg_read(base));
        }
        let idx = ins.memory_index();
        if idx != Register::None {
            a = a.wrapping_add(self.reg_read(idx).wrapping_mul(ins.memory_index_scale() as u64));
        }
        if ins.memory_displ_size() == 4 && base.size() == 4 {
            a &= 0xffff_ffff;
        }
        match ins.memory_segment() {
            Register::FS => a.wrapping_add(self.cpu.fs.base),
            Register::GS => a.wrapping_add(self.cpu.gs.base),
            _ => a,
        }
    }

    pub(crate) fn read_lin(&mut self, la: u64, size: u32, acc: Access) -> Result<u64, Trap> {
        let mut buf = [0u8; 8];
        self.read_lin_bytes(la, &mut buf[..size as usize], acc)?;
        Ok(u64::from_le_bytes(buf))
    }

    pub(crate) fn write_lin(&mut self, la: u64, size: u32, val: u64) -> Result<(), Trap> {
        let bytes = val.to_le_bytes();
        self.write_lin_bytes(la, &bytes[..size as usize])
    }

    pub(crate) fn read_lin_bytes(&mut self, la: u64, buf: &mut [u8], acc: Access) -> Result<(), Trap> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = la.wrapping_add(done as u64);
            let n = ((0x1000 - (a & 0xfff)) as usize).min(buf.len() - done);
            let pa = self.translate(Gva(a), acc)?;
            self.mem.read(pa, &mut buf[done..done + n]).map_err(|e| {
                Trap::Emu(EmuError::Machine(format!("read of physical {} outside RAM", e.0)))
            })?;
            done += n;
        }
        Ok(())
    }

    pub(crate) fn write_lin_bytes(&mut self, la: u64, data: &[u8]) -> Result<(), Trap> {
        // Translate every page first so a fault leaves memory untouched.
        let first = self.translate(Gva(la), self.data_access(true))?;
        let split = ((0x1000 - (la & 0xfff)) as usize).min(data.len());
        let second = if split < data.len() {
            Some(self.translate(Gva(la.wrapping_add(split as u64)), self.data_access(true))?)
        } else {
            None
        };
        let oob = |e: crate::mem::phys::OutOfRange| Trap::Emu(EmuError::Machine(format!("write to physical {} outside RAM", e.0)));
        self.mem.write(first, &data[..split]).map_err(oob)?;
        if let Some(s) = second {
            self.mem.write(s, &data[split..]).map_err(oob)?;
        }
        Ok(())
    }

    pub(crate) fn data_access(&self, write: bool) -> Access {
        Access { write, user: self.cpu.cpl == 3, fetch: false }
    }

    // ---- operands ----
    pub(crate) fn op_size(ins: &Instruction, op: u32) -> u32 {
        match ins.op_kind(op) {
            OpKind::Register => ins.op_register(op).size() as u32,
            OpKind::Memory => ins.memory_size().size() as u32,
            OpKind::Immediate8 => 1,
            OpKind::Immediate16 | OpKind::Immediate8to16 => 2,
            OpKind::Immediate32 | OpKind::Immediate8to32 => 4,
            _ => 8,
        }
    }

    pub(crate) fn read_op(&mut self, ins: &Instruction, op: u32) -> Result<u64, Trap> {
        match ins.op_kind(op) {
            OpKind::Register => Ok(self.reg_read(ins.op_register(op))),
            OpKind::Memory => {
                let la = self.effective_address(ins);
                let acc = self.data_access(false);
                self.read_lin(la, ins.memory_size().size() as u32, acc)
            }
            _ => Ok(ins.immediate(op)),
        }
    }

    pub(crate) fn write_op(&mut self, ins: &Instruction, op: u32, val: u64) -> Result<(), Trap> {
        match ins.op_kind(op) {
            OpKind::Register => {
                self.reg_write(ins.op_register(op), val);
                Ok(())
            }
            OpKind::Memory => {
                let la = self.effective_address(ins);
                self.write_lin(la, ins.memory_size().size() as u32, val)
            }
            k => Err(Trap::Emu(EmuError::Machine(format!("write to operand kind {k:?}")))),
        }
    }

    fn set_status(&mut self, f: u64) {
        self.cpu.regs.rflags = (self.cpu.regs.rflags & !rf::STATUS) | f;
    }

    /// Executes one decoded instruction (RIP still points at it).
    pub(crate) fn execute(&mut self, ins: &Instruction) -> ExecResult {
        use Mnemonic as M;
        match ins.mnemonic() {
            M::Nop | M::Pause => Ok(Flow::Next),
            M::Mov => {
                let v = self.read_op(ins, 1)?;
                self.write_op(ins, 0, v)?;
                Ok(Flow::Next)
            }
            M::Add | M::Sub | M::Cmp => {
                let size = Self::op_size(ins, 0);
                let a = self.read_op(ins, 0)?;
                let b = self.read_op(ins, 1)?;
                let (res, f) = if ins.mnemonic() == M::Add { flags::add(a, b, 0, size) } else { flags::sub(a, b, 0, size) };
                if ins.mnemonic() != M::Cmp {
                    self.write_op(ins, 0, res)?;
                }
                self.set_status(f);
                Ok(Flow::Next)
            }
            M::Jmp => match ins.op_kind(0) {
                OpKind::NearBranch64 => Ok(Flow::Jump(ins.near_branch_target())),
                _ => Ok(Flow::Jump(self.read_op(ins, 0)?)),
            },
            m if ins.is_jcc_short_or_near() => {
                let _ = m;
                let cc = ins.condition_code() as u8 - 1;
                if flags::cond(cc, self.cpu.regs.rflags) {
                    Ok(Flow::Jump(ins.near_branch_target()))
                } else {
                    Ok(Flow::Next)
                }
            }
            M::Out => {
                let port = self.read_op(ins, 0)? as u16;
                let size = Self::op_size(ins, 1);
                let v = self.read_op(ins, 1)?;
                Ok(self.port_out(port, size, v))
            }
            M::Hlt => {
                if self.cpu.cpl != 0 {
                    return Err(Fault::gp0().into());
                }
                Ok(Flow::Stop(Stop::Halt))
            }
            _ => Err(Trap::Emu(EmuError::Unsupported {
                mnemonic: format!("{:?}", ins.mnemonic()).to_lowercase(),
                rip: ins.ip(),
            })),
        }
    }

    /// OUT to the CONTRACT devices.
    fn port_out(&mut self, port: u16, _size: u32, v: u64) -> Flow {
        match port {
            0xe9 => {
                self.console.push(v as u8);
                Flow::Next
            }
            0xf4 => Flow::Stop(Stop::DebugExit(v as u8)),
            _ => Flow::Next,
        }
    }
}

/// Convenience for the machine loop.
pub(crate) fn outcome_of(flow: Flow) -> StepOutcome {
    match flow {
        Flow::Stop(s) => StepOutcome::Stopped(s),
        _ => StepOutcome::Retired,
    }
}
