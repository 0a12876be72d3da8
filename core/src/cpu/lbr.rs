//! Control-transfer recording (APM 13.1.1.6): with DEBUGCTL.LBR set the processor records the
//! source and target of the last branch in LastBranchFromIP/LastBranchToIP (MSRs 0x1DB/0x1DC),
//! and when an exception or interrupt is taken it first copies that pair into
//! LastIntFromIP/LastIntToIP (0x1DD/0x1DE, the APM's LastExceptionFromIP/ToIP), then records the
//! event itself as the last branch. Delivering #DB clears DEBUGCTL.LBR (recording stops so that
//! the handler sees the branches before the debug event). The four MSRs are read-only.
//!
//! Cost: none while DEBUGCTL.LBR is clear. `fetch_execute` tests RFLAGS against
//! `Processor::trace_mask` once per instruction (for TF's single-step trap too); with LBR set the
//! mask also holds RFLAGS bit 1 (always 1), so every instruction takes the cold traced path
//! (`fetch_execute_traced`), which records a taken branch and then does what TF asks.
use crate::cpu::processor::{Processor, Virt};
use crate::cpu::regs::flags as rf;

/// LastBranchFromIP (APM 13.1.1.6).
pub const LAST_BRANCH_FROM_IP: u32 = 0x1db;
/// LastBranchToIP.
pub const LAST_BRANCH_TO_IP: u32 = 0x1dc;
/// LastIntFromIP (the APM's LastExceptionFromIP).
pub const LAST_INT_FROM_IP: u32 = 0x1dd;
/// LastIntToIP (the APM's LastExceptionToIP).
pub const LAST_INT_TO_IP: u32 = 0x1de;
/// DEBUGCTL bit 0: record control transfers.
pub const DEBUGCTL_LBR: u64 = 1 << 0;
/// DEBUGCTL bit 1: single-step on branches (BTF); kept as written, not modelled as a trap.
pub const DEBUGCTL_BTF: u64 = 1 << 1;
/// The DEBUGCTL bits that exist: LBR, BTF and the PB0–PB3 pin controls (bits 5:0).
pub const DEBUGCTL_VALID: u64 = 0x3f;

/// The four control-transfer recording MSRs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lbr {
    pub branch_from: u64,
    pub branch_to: u64,
    pub int_from: u64,
    pub int_to: u64,
}

impl Lbr {
    /// All four zero (their reset value): left out of checkpoint records.
    pub fn is_zero(&self) -> bool {
        *self == Lbr::default()
    }

    /// A taken branch from the instruction at `from` to `to`.
    #[inline]
    pub fn branch(&mut self, from: u64, to: u64) {
        (self.branch_from, self.branch_to) = (from, to);
    }

    /// An exception or interrupt taken at `from` whose handler starts at `to`: the last branch
    /// moves to LastInt*, the event becomes the last branch.
    pub fn event(&mut self, from: u64, to: u64) {
        (self.int_from, self.int_to) = (self.branch_from, self.branch_to);
        self.branch(from, to);
    }

    /// RDMSR of one of the four; `None` for any other MSR.
    pub fn read(&self, idx: u32) -> Option<u64> {
        Some(match idx {
            LAST_BRANCH_FROM_IP => self.branch_from,
            LAST_BRANCH_TO_IP => self.branch_to,
            LAST_INT_FROM_IP => self.int_from,
            LAST_INT_TO_IP => self.int_to,
            _ => return None,
        })
    }

    /// Whether `idx` is one of the four (WRMSR to them is #GP: they are read-only).
    pub fn is_lbr_msr(idx: u32) -> bool {
        (LAST_BRANCH_FROM_IP..=LAST_INT_TO_IP).contains(&idx)
    }
}

impl<V: Virt> Processor<V> {
    /// Recomputes the fetch path's RFLAGS mask after DEBUGCTL changed (WRMSR, VMRUN/#VMEXIT with
    /// LBR virtualization, #DB delivery, a checkpoint restore): TF always, plus the always-1 bit
    /// while DEBUGCTL.LBR records.
    pub(crate) fn refresh_trace(&mut self) {
        let lbr = if self.cpu.msr.debugctl & DEBUGCTL_LBR != 0 { rf::FIXED1 } else { 0 };
        // RF too: the instruction it is set for clears it when it completes (`debug_after`).
        self.trace_mask = rf::TF | crate::cpu::processor::RF | lbr;
    }

    /// One instruction with TF or LBR tracing on: executed as usual, then a taken branch is
    /// recorded unless the instruction switched worlds (VMRUN: world switches are not branches,
    /// as kvm-unit-tests' svm_lbrv_* tests expect), then the single-step trap when TF was set.
    #[cold]
    #[inline(never)]
    pub(crate) fn fetch_execute_traced(&mut self) -> Result<crate::cpu::exec::Flow, crate::outcome::Trap> {
        let from = self.cpu.regs.rip;
        let dbg = self.cpu.regs.rflags & (rf::TF | crate::cpu::processor::RF);
        let was_guest = self.svm.in_guest();
        let flow = self.fetch_execute_plain()?;
        if self.cpu.msr.debugctl & DEBUGCTL_LBR != 0
            && matches!(flow, crate::cpu::exec::Flow::Jump(_))
            && was_guest == self.svm.in_guest()
        {
            let to = self.cpu.regs.rip;
            self.cpu.msr.lbr.branch(from, to);
        }
        if dbg == 0 {
            return Ok(flow);
        }
        // RF cleared as the instruction completed, then TF's single-step trap (processor.rs).
        self.debug_after(flow, was_guest, dbg)
    }

    /// An exception or interrupt with vector `v` taken at the current RIP, its handler at `to`:
    /// recorded when LBR is on; #DB then stops the recording (APM 13.1.1.6).
    #[cold]
    pub(crate) fn lbr_event(&mut self, v: u8, to: u64) {
        if v == crate::outcome::vector::DB {
            self.cpu.msr.debugctl &= !DEBUGCTL_LBR;
            self.refresh_trace();
            return;
        }
        let from = self.cpu.regs.rip;
        self.cpu.msr.lbr.event(from, to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn lbr_msr_numbers_and_event_copy() {
        // APM 13.1.1.6 / kvm-unit-tests lib/x86/msr.h: 0x1DB..0x1DE; an exception moves the last
        // branch into LastInt* before recording itself.
        let mut l = Lbr::default();
        l.branch(0x10, 0x20);
        l.event(0x30, 0x40);
        assert_eq!((l.read(0x1db), l.read(0x1dc), l.read(0x1dd), l.read(0x1de)), (Some(0x30), Some(0x40), Some(0x10), Some(0x20)));
        assert_eq!(l.read(0x1d9), None);
        assert!(Lbr::is_lbr_msr(0x1de) && !Lbr::is_lbr_msr(0x1df) && !Lbr::is_lbr_msr(0x1da));
    }
}
