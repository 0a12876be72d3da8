//! The byte-fill loop idiom: `mov [B], r8; add B, 1; cmp B, E; jne <the mov>` — what a compiled
//! `memset` is (kvm-unit-tests spends about half of its 160 million boot instructions there).
//!
//! When the decode cache takes in such a JNE (fetch_decode_slow), its fast form becomes
//! [`Fast::FillLoop`]. Taken, it runs the iterations that remain before the last one in bulk —
//! the stores to one page at a time, B advanced, four steps counted per iteration, exactly what
//! executing them one by one gives — and jumps back; the last iteration runs normally and sets
//! the flags. Nothing is done in bulk unless it is certain to be equivalent: RFLAGS.TF clear, no
//! external event to look at (`event_check`), a run with a step budget (`step_limit`: a single
//! step never runs in bulk), a write translation that succeeds into RAM outside the loop's own
//! code page; otherwise the JNE just jumps.
use super::fast::Fast;
use super::Flow;
use crate::cpu::decode;
use crate::cpu::processor::{Processor, Virt};
use crate::cpu::regs::flags as rf;
use crate::mem::{Gva, Hpa};
use iced_x86::{Code, Instruction, Register};

/// The loop body's length: MOV r/m8,r8 with REX (3), ADD r64,imm8 (4), CMP r64,r64 (3).
const BODY: u64 = 10;

/// GPR number of a 64-bit register.
fn r64(r: Register) -> Option<u8> {
    let n = r as usize;
    (37 + 16..=68).contains(&n).then(|| u8::try_from(n - 53).ok()).flatten()
}

/// `jne` (at `jne.ip()`) closes a byte-fill loop whose body is `body` (the BODY bytes before it):
/// its fast form.
pub(crate) fn recognize(jne: &Instruction, body: &[u8]) -> Option<Fast> {
    if !matches!(jne.code(), Code::Jne_rel8_64 | Code::Jne_rel32_64) || jne.near_branch_target() != jne.ip().wrapping_sub(BODY) {
        return None;
    }
    let top = jne.near_branch_target();
    let mov = decode::decode(64, body, top)?;
    let add = decode::decode(64, body.get(mov.len()..)?, mov.next_ip())?;
    let cmp = decode::decode(64, body.get(mov.len() + add.len()..)?, add.next_ip())?;
    if cmp.next_ip() != jne.ip() || mov.code() != Code::Mov_rm8_r8 || add.code() != Code::Add_rm64_imm8 || cmp.code() != Code::Cmp_rm64_r64 {
        return None;
    }
    let b = r64(mov.memory_base())?;
    let plain = mov.memory_index() == Register::None && mov.memory_displacement64() == 0 && mov.segment_prefix() == Register::None;
    let v = mov.op1_register();
    // SIL/DIL/BPL/SPL and AL..BL, R8L..R15L (not AH..BH): the low byte of a GPR.
    let vn = match v as usize {
        n @ 1..=4 => n - 1,
        n @ 9..=20 => n - 5,
        _ => return None,
    };
    let ok = plain
        && r64(add.op0_register()) == Some(b)
        && add.immediate8() == 1
        && r64(cmp.op0_register()) == Some(b)
        && r64(cmp.op1_register()).is_some_and(|e| e != b)
        && vn != b as usize;
    ok.then(|| Fast::FillLoop { target: top, v: u8::try_from(vn).unwrap_or(0), b, e: r64(cmp.op1_register()).unwrap_or(0) })
}

impl<V: Virt> Processor<V> {
    /// The JNE of a byte-fill loop (see the module comment). Out of line: the fast-form dispatch
    /// stays as small as it was.
    #[inline(never)]
    pub(crate) fn exec_fill_loop(&mut self, target: u64, v: u8, b: u8, e: u8) -> Flow {
        if self.cpu.regs.rflags & rf::ZF != 0 {
            return Flow::Next;
        }
        let (bv, ev) = (self.cpu.regs.gpr[b as usize], self.cpu.regs.gpr[e as usize]);
        // Iterations left before the last; each is four steps, and this JNE is one more.
        let left = ev.wrapping_sub(bv).saturating_sub(1);
        let budget = self.step_limit.saturating_sub(self.steps + 1) / 4;
        let in_page = 0x1000 - (bv & 0xfff);
        let k = left.min(budget).min(in_page);
        if k == 0 || self.event_check || self.cpu.regs.rflags & rf::TF != 0 {
            return Flow::Jump(target);
        }
        let acc = self.data_access(true);
        let Ok(pa) = self.translate(Gva(bv), acc) else { return Flow::Jump(target) };
        if pa.0 & !0xfff == self.fetch_page_addr() || !self.mem.contains(pa, k) {
            return Flow::Jump(target);
        }
        #[allow(clippy::cast_possible_truncation, reason = "the stored byte is the register's low byte; k ≤ 4096")]
        let (byte, n) = (self.cpu.regs.gpr[v as usize] as u8, k as usize);
        if self.mem.write(Hpa(pa.0), &vec![byte; n]).is_err() {
            return Flow::Jump(target);
        }
        self.cpu.regs.gpr[b as usize] = bv.wrapping_add(k);
        self.steps += 4 * k;
        self.idiom_steps += 4 * k;
        Flow::Jump(target)
    }
}
