//! The three hardware readings of G_PAT (CONTRACT §2, reference §8 and §10.3).
//!
//! Everything else about the SVM hardware model is the same for the three; only what happens to
//! the PAT at VMRUN / #VMEXIT and on guest PAT MSR accesses differs:
//!
//! | | G_PAT checked at VMRUN (NP) | VMRUN with NP | guest RDMSR/WRMSR(PAT) with NP | #VMEXIT with NP |
//! |---|---|---|---|---|
//! | `bare` | yes | separate gPAT register := G_PAT, host PAT untouched | gPAT | G_PAT := gPAT |
//! | `bare-swap` | yes | host PAT parked in the host save, PAT MSR := G_PAT | the PAT MSR (= gPAT) | G_PAT := PAT MSR, PAT MSR := parked host PAT |
//! | `bare-qemu` | no | nothing | the one shared PAT MSR | nothing |
//!
//! `bare` is the APM reading (reference §8.1/§8.2: PAT is a replicated paging register, VMRUN
//! "loads the guest PAT register from G_PAT", the host save list has no PAT, #VMEXIT saves gPAT).
//! `bare-swap` is Bochs with NP on (reference §10.2); with NP off L1 and L2 share the PAT (Bochs'
//! unconditional restore of the host PAT with NP off is a Bochs deviation, not modelled, CONTRACT
//! §2). `bare-qemu` is QEMU TCG (reference §10.1): G_PAT is never read or written and one PAT
//! serves both levels.
//!
//! WRMSR(PAT) validity: all three models raise #GP(0) for a reserved encoding (reference §5.2).
//! QEMU TCG's `helper_wrmsr` does not validate the value (reference §10.1), but CONTRACT §2 defines
//! `bare-qemu` as "QEMU TCG reading of G_PAT … everything else as `bare`": the missing #GP is a
//! separate QEMU deviation that is not part of the G_PAT reading, so it is not modelled.
//!
//! With NP off every model behaves the same: G_PAT is ignored (not checked, loaded or saved) and
//! the guest reads and writes the one PAT MSR (reference §8.3).
#![warn(missing_docs)]

/// Which hardware reading of G_PAT the machine implements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SvmModel {
    /// APM: a separate gPAT register (CONTRACT model `bare`).
    #[default]
    Bare,
    /// Bochs: the PAT MSR is swapped with G_PAT when NP is on (CONTRACT model `bare-swap`).
    BareSwap,
    /// QEMU TCG: G_PAT ignored, one shared PAT (CONTRACT model `bare-qemu`).
    BareQemu,
}

impl SvmModel {
    /// The three hardware models.
    pub const ALL: [SvmModel; 3] = [SvmModel::Bare, SvmModel::BareSwap, SvmModel::BareQemu];

    /// The CONTRACT §2 model name.
    pub const fn name(self) -> &'static str {
        match self {
            SvmModel::Bare => "bare",
            SvmModel::BareSwap => "bare-swap",
            SvmModel::BareQemu => "bare-qemu",
        }
    }

    /// What the reading does, in one line.
    pub const fn summary(self) -> &'static str {
        match self {
            SvmModel::Bare => "APM reading: gPAT a separate register loaded at VMRUN with NP",
            SvmModel::BareSwap => "Bochs reading: the PAT MSR is swapped with G_PAT at VMRUN/#VMEXIT",
            SvmModel::BareQemu => "QEMU TCG reading: G_PAT ignored, one PAT shared by L1 and L2",
        }
    }

    /// Parses a CONTRACT §2 hardware-model name.
    pub fn from_name(s: &str) -> Option<SvmModel> {
        SvmModel::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether VMRUN with NP_ENABLE = 1 checks G_PAT (APM 15.25.4, reference §4.2; not QEMU §10.1).
    pub const fn checks_gpat(self) -> bool {
        !matches!(self, SvmModel::BareQemu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_round_trip() {
        for m in SvmModel::ALL {
            assert_eq!(SvmModel::from_name(m.name()), Some(m));
        }
        assert_eq!(SvmModel::from_name("kvm-legacy"), None);
        assert_eq!(SvmModel::default(), SvmModel::Bare);
        assert!(SvmModel::Bare.checks_gpat() && SvmModel::BareSwap.checks_gpat() && !SvmModel::BareQemu.checks_gpat());
    }
}
