//! Optional SVM features a VMRUN/#VMEXIT carries besides the state of reference §4.1:
//! - LBR virtualization (APM 15.23, CPUID 0x8000000A EDX[1] LbrVirt): with misc_ctl2 bit 0
//!   (LBR_VIRTUALIZATION_ENABLE) VMRUN saves the host's DEBUGCTL and LBR MSRs and loads the
//!   guest's from the VMCB save area (DBGCTL 0x670, BR_FROM 0x678, BR_TO 0x680, LASTEXCPFROM
//!   0x688, LASTEXCPTO 0x690); #VMEXIT stores the guest's there and restores the host's. Without
//!   it guest and host share DEBUGCTL and the LBR MSRs (kvm-unit-tests svm_lbrv_test1–3: the
//!   guest's branches "leak" to the host).
//! - The PAUSE filter (APM 15.14.4, CPUID EDX[10] PauseFilter, EDX[12] PauseFilterThreshold):
//!   VMRUN loads PAUSE_FILTER_COUNT (VMCB 0x03E) into an internal counter; with the PAUSE
//!   intercept set each PAUSE decrements it and the one that reaches zero exits (a count of 0:
//!   every PAUSE exits). With PAUSE_FILTER_THRESHOLD (0x03C) non-zero, a PAUSE that comes more
//!   than that many cycles (here: TSC ticks, one per step) after the previous one first reloads
//!   the counter from the VMCB.
//!
//! The host values live with the guest's mode (`GuestMode`), also for a guest entered from outside
//! the model (the save happens in hardware whoever the host is).
#![warn(missing_docs)]
use super::state::SvmState;
use super::vmcb::control::MISC_CTL2_V_LBR;
use super::vmcb::{VmcbControl, VmcbSave};
use crate::cpu::lbr::{Lbr, DEBUGCTL_VALID};
use crate::cpu::processor::Processor;

/// The host's DEBUGCTL and LBR MSRs, saved by a VMRUN with LBR virtualization.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LbrHost {
    /// DEBUGCTL.
    pub debugctl: u64,
    /// LastBranchFromIP/ToIP, LastIntFromIP/ToIP.
    pub lbr: Lbr,
}

/// The PAUSE filter's internal state while a guest runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PauseFilter {
    /// The counter VMRUN loaded from PAUSE_FILTER_COUNT.
    pub counter: u16,
    /// TSC (unscaled, without offset) of the most recent PAUSE, or of VMRUN.
    pub last: u64,
}

impl PauseFilter {
    /// Loaded by VMRUN at TSC `now`.
    pub fn load(ctrl: &VmcbControl, now: u64) -> PauseFilter {
        PauseFilter { counter: ctrl.pause_filter_count, last: now }
    }

    /// An intercepted PAUSE at TSC `now`: whether it exits (APM 15.14.4).
    pub fn pause(&mut self, ctrl: &VmcbControl, now: u64) -> bool {
        if ctrl.pause_filter_count == 0 {
            return true;
        }
        let thresh = u64::from(ctrl.pause_filter_thresh);
        if thresh != 0 && now.wrapping_sub(self.last) > thresh {
            self.counter = ctrl.pause_filter_count;
        }
        self.last = now;
        self.counter = self.counter.saturating_sub(1);
        self.counter == 0
    }
}

impl Processor<SvmState> {
    /// VMRUN: with LBR virtualization, the host's DEBUGCTL/LBR MSRs out, the guest's in.
    pub(crate) fn lbrv_enter(&mut self, ctrl: &VmcbControl, s: &VmcbSave) -> Option<LbrHost> {
        if ctrl.misc_ctl2 & MISC_CTL2_V_LBR == 0 {
            return None;
        }
        let m = &mut self.cpu.msr;
        let host = LbrHost { debugctl: m.debugctl, lbr: m.lbr };
        m.debugctl = s.dbgctl & DEBUGCTL_VALID;
        m.lbr = Lbr { branch_from: s.br_from, branch_to: s.br_to, int_from: s.last_excp_from, int_to: s.last_excp_to };
        self.refresh_trace();
        Some(host)
    }

    /// PAUSE in a guest: the PAUSE intercept's exit once the filter lets it through.
    pub(crate) fn guest_pause(&mut self, next: u64) -> Option<crate::cpu::exec::ExecResult> {
        use super::exit_table::Intercept as I;
        let now = self.steps;
        let g = self.svm.guest.as_mut()?;
        if !super::intercept::is_intercepted(&g.ctrl, I::PAUSE) {
            return None;
        }
        g.pause.pause(&g.ctrl, now).then(|| super::guest::insn_exit(I::PAUSE, 0, next))
    }

    /// #VMEXIT with LBR virtualization, after `lbrv_store`: the host's DEBUGCTL/LBR MSRs back.
    pub(crate) fn lbrv_restore(&mut self, host: Option<LbrHost>) {
        let Some(h) = host else { return };
        (self.cpu.msr.debugctl, self.cpu.msr.lbr) = (h.debugctl, h.lbr);
        self.refresh_trace();
    }
}

/// #VMEXIT with LBR virtualization: the guest's DEBUGCTL/LBR MSRs (in `m`) into the VMCB `page`.
pub(crate) fn lbrv_store(page: &mut [u8; 4096], m: &crate::cpu::msr::MsrState) {
    use super::vmcb::save_f as sf;
    sf::dbgctl.set(page, m.debugctl);
    sf::br_from.set(page, m.lbr.branch_from);
    sf::br_to.set(page, m.lbr.branch_to);
    sf::last_excp_from.set(page, m.lbr.int_from);
    sf::last_excp_to.set(page, m.lbr.int_to);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ctrl(count: u16, thresh: u16) -> VmcbControl {
        VmcbControl { pause_filter_count: count, pause_filter_thresh: thresh, ..Default::default() }
    }

    /// How many intercepted PAUSEs `gaps` (TSC ticks between them) take until one exits.
    fn exits_at(c: &VmcbControl, gaps: &[u64]) -> Option<usize> {
        let mut f = PauseFilter::load(c, 0);
        let mut now = 0;
        gaps.iter().position(|g| {
            now += g;
            f.pause(c, now)
        })
    }

    #[test]
    fn pause_filter_count_apm_15_14_4() {
        // APM 15.14.4: count 0 intercepts every PAUSE; count N exits on the N-th. kvm-unit-tests
        // pause_filter_test: 10 PAUSEs with count 9 exit, 20 with count 21 do not.
        assert_eq!(exits_at(&ctrl(0, 0), &[1]), Some(0));
        assert_eq!(exits_at(&ctrl(9, 0), &[5; 10]), Some(8));
        assert_eq!(exits_at(&ctrl(21, 0), &[5; 20]), None);
    }

    #[test]
    fn pause_filter_threshold_reloads_the_count_apm_15_14_4() {
        // A gap above the threshold reloads the counter (40 PAUSEs with a long wait in the middle
        // never reach count 21); gaps below it do not (the 21st PAUSE exits).
        let mut gaps = vec![5u64; 40];
        gaps[20] = 3000;
        assert_eq!(exits_at(&ctrl(21, 10), &gaps), None);
        gaps[20] = 30;
        assert_eq!(exits_at(&ctrl(21, 1000), &gaps), Some(20));
    }
}
