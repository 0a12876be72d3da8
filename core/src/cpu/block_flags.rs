//! Dead status flags in a basic block (cpu/blocks.rs): an ALU, INC/DEC or shift whose CF PF AF ZF
//! SF OF are all overwritten before anything can look at them runs as a form that computes only
//! its result (the `…Nf` forms of exec/fast.rs).
//!
//! Who can look at a flag, walking the block backwards from its end (where every flag is live):
//! a Jcc (the flags of its condition code, reference: APM vol. 3 "Jcc"), ADC/SBB (CF), and any
//! form that may fault — every form with a memory operand, PUSH/POP/CALL/RET — since the
//! exception's frame holds RFLAGS (all of them). After a form that stores, the block may end
//! early (an MMIO write sets `event_check`, a store into the code page retires the block), so
//! every flag is live after it. No other form ends a block early, is interrupted or is counted
//! apart: a block runs whole when the step budget has room for it (cpu/run_fast.rs).
use crate::cpu::blocks::BlockOp;
use crate::cpu::exec::fast::Fast;
use crate::cpu::exec::fast_alu::AluOp;
use crate::cpu::regs::flags::{CF, OF, PF, STATUS, SF, ZF};
use iced_x86::Mnemonic;

/// The status flags `f` reads (all of them for a form that may fault).
fn reads(f: &Fast) -> u64 {
    match *f {
        Fast::Jcc { cc, .. } => match cc >> 1 {
            0 => OF,
            1 => CF,
            2 => ZF,
            3 => CF | ZF,
            4 => SF,
            5 => PF,
            6 => SF | OF,
            _ => ZF | SF | OF,
        },
        Fast::AluRR { op: AluOp::Adc | AluOp::Sbb, .. }
        | Fast::AluRI { op: AluOp::Adc | AluOp::Sbb, .. }
        | Fast::AluRRNf { op: AluOp::Adc | AluOp::Sbb, .. }
        | Fast::AluRINf { op: AluOp::Adc | AluOp::Sbb, .. } => CF,
        Fast::AluRR { .. }
        | Fast::AluRI { .. }
        | Fast::AluRRNf { .. }
        | Fast::AluRINf { .. }
        | Fast::IncDec { .. }
        | Fast::IncDecNf { .. }
        | Fast::ShiftRI { .. }
        | Fast::ShiftRINf { .. }
        | Fast::ImulRR { .. }
        | Fast::ImulRRI { .. }
        | Fast::Nop
        | Fast::MovRR { .. }
        | Fast::MovRI { .. }
        | Fast::Lea { .. }
        | Fast::ExtRR { .. }
        | Fast::Jmp { .. } => 0,
        Fast::Generic
        | Fast::AluRM { .. }
        | Fast::AluMR { .. }
        | Fast::AluMI { .. }
        | Fast::Load { .. }
        | Fast::Store { .. }
        | Fast::StoreI { .. }
        | Fast::Call { .. }
        | Fast::Ret
        | Fast::Push { .. }
        | Fast::Pop { .. }
        | Fast::ExtRM { .. }
        | Fast::FillLoop { .. } => STATUS,
    }
}

/// The form without its status flags, when it has one and writes all those it writes from its
/// operands alone: (the form, the flags it would have written).
fn without_flags(f: &Fast) -> Option<(Fast, u64)> {
    Some(match *f {
        Fast::AluRR { op, size, d, s } => (Fast::AluRRNf { op, size, d, s }, STATUS),
        Fast::AluRI { op, size, d, imm } => (Fast::AluRINf { op, size, d, imm }, STATUS),
        Fast::IncDec { inc, size, d } => (Fast::IncDecNf { inc, size, d }, STATUS & !CF),
        Fast::ShiftRI { op: op @ (Mnemonic::Shl | Mnemonic::Sal | Mnemonic::Shr | Mnemonic::Sar), size, d, count }
            if count & if size == 8 { 63 } else { 31 } != 0 =>
        {
            (Fast::ShiftRINf { op, size, d, count }, STATUS)
        }
        _ => return None,
    })
}

/// Replaces each form of `ops` (one block, in order) whose status flags are dead by its `…Nf`
/// form.
pub fn elide_dead_flags(ops: &mut [BlockOp]) {
    // Live after the last op: all (the block's successor may read any).
    let mut live = STATUS;
    for op in ops.iter_mut().rev() {
        if op.stores {
            live = STATUS;
        }
        let written = match without_flags(&op.fast) {
            Some((nf, w)) if w & live == 0 => {
                op.fast = nf;
                0
            }
            Some((_, w)) => w,
            None => 0,
        };
        live = (live & !written) | reads(&op.fast);
    }
}
