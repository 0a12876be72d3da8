//! A KVM userspace save/restore in the middle of a run (CONTRACT `--migrate-at`): the VMM reads
//! the vCPU the way userspace does (registers and memory, KVM_GET_MSRS, KVM_GET_NESTED_STATE)
//! under design A, creates a fresh L0 of design B, restores in the given order, and the run goes
//! on there. What the guest sees afterwards is what that pair of kernels would give it — the
//! seed's fourth problem and v1's cross-version problem (reference §9.3–§9.7).
#![warn(missing_docs)]
use super::gpat::{self, Design, Einval, NestedCtx, PatRegs};
use super::nested_state::{NestedState, SaveOrder};
use super::Kvm;
use serde::Serialize;

/// What a migration did, for the CONTRACT JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// The step at which the run was migrated.
    pub at: u64,
    /// The L0 design before the migration.
    pub from: String,
    /// The L0 design after it.
    pub to: String,
    /// The order in which the state was restored.
    pub order: String,
    /// Guest-visible state whose value after the restore differs from before it.
    pub lost: Vec<String>,
    /// The values before and after, for people reading the report.
    pub detail: Vec<String>,
}

/// The PAT values the guest can observe: (L1's PAT, L2's gPAT if L2 is active).
fn observed(d: Design, r: &PatRegs, c: &NestedCtx) -> (u64, Option<u64>) {
    (d.ops().l1_pat(r, c), c.guest_mode.then_some(gpat::l2_pat(r)))
}

/// Saves `k` as userspace would, restores into a fresh L0 of design `to` in `order`.
pub fn migrate(k: &Kvm, to: Design, order: SaveOrder) -> Result<(Kvm, Migration), Einval> {
    let from = k.design;
    let before = observed(from, &k.pat, &k.ctx);
    let (pat, ctx) = if let Some(n) = &k.nested {
        let gif = k.m.svm.gif;
        let mut ns = NestedState::guest_mode(n.vmcb12, gif);
        ns.control = n.ctrl.clone();
        ns.save = k.peek_vmcb(k.layout.vmcb01).map_err(|e| Einval(e.to_string()))?.save;
        let cp = gpat::checkpoint(from, &k.pat, &k.ctx, ns);
        gpat::restore(to, &cp, order)?
    } else {
        // Outside guest mode there is no nested state: only the MSR list carries the PAT.
        let msr = from.ops().rdmsr(&k.pat, &k.ctx, true);
        let mut r = PatRegs::reset();
        let c = NestedCtx::default();
        to.ops().wrmsr(&mut r, &c, msr, true).map_err(|e| Einval(format!("KVM_SET_MSRS: invalid PAT {:#x}", e.0)))?;
        (r, c)
    };
    let mut new = k.clone();
    new.design = to;
    new.pat = pat;
    new.ctx = ctx;
    // A fresh L0: its shadow NPT starts empty and L0's NPT has no write protection.
    new.shadow.zap(&mut new.m.mem, &new.layout).map_err(|e| Einval(e.to_string()))?;
    new.merged_maps = None;
    new.sync_gpat_fields();
    let after = observed(to, &new.pat, &new.ctx);
    let mut lost = Vec::new();
    let mut detail = vec![format!("L1's PAT {:#018x} -> {:#018x}", before.0, after.0)];
    if before.0 != after.0 {
        lost.push("L1's PAT".to_string());
    }
    if let (Some(b), Some(a)) = (before.1, after.1) {
        detail.push(format!("L2's gPAT {b:#018x} -> {a:#018x}"));
        if a != b {
            lost.push("L2's gPAT".to_string());
        }
    }
    let m = Migration {
        at: k.m.steps,
        from: from.name().into(),
        to: to.name().into(),
        order: order.name().into(),
        lost,
        detail,
    };
    Ok((new, m))
}
