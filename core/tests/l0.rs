//! The L0 model end to end: a program where L2 reads and writes its PAT with MSR intercepts off
//! and nested paging on (data/l0/gpat.asm) under every model; lockstep comparison against `bare`;
//! and KVM userspace save/restore while L2 runs, same and cross design, in both orders.
//! Expected values: reference §10.3 (comparison table), §9.2–§9.7 (step-by-step accounts),
//! §11.1 (svm_nested_pat_test constants) — never our own output.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
use nestscope_core::compare::compare;
use nestscope_core::hv::gpat::Design;
use nestscope_core::hv::migrate::migrate;
use nestscope_core::hv::nested_state::SaveOrder;
use nestscope_core::hv::L0Config;
use nestscope_core::sim::Sim;
use nestscope_core::Model;
use nestscope_core::trace::Level;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const PROGRAM: &[u8] = include_bytes!("data/l0/gpat.bin");
const H: u64 = 0x0007_0406_0007_0404; // L1_PAT_VALUE (§11.1)
const G: u64 = 0x0606_0606_0606_0606; // L2_VMCB12_PAT
const G2: u64 = 0x0606_0606_0606_0604; // L2_PAT_MODIFIED

/// (r8: L2's PAT at start, r13: after the spin, r9: after its write, r10: L1's PAT after the
/// exit, r11: vmcb12 G_PAT after the exit)
fn observed(sim: &Sim) -> (u64, u64, u64, u64, u64) {
    let r = sim.l1_regs().gpr;
    (r[8], r[13], r[9], r[10], r[11])
}

fn run(model: &str) -> Sim {
    let mut s = Sim::new(PROGRAM, 64, model.parse().unwrap(), &L0Config::default()).unwrap();
    let end = s.run(100_000).unwrap();
    assert_eq!(s.report(&end)["exit"], "debug-exit", "{model}");
    assert_eq!(s.l1_regs().gpr[12], 0x81, "{model}: L2 exited with VMMCALL");
    s
}

#[test]
fn what_l1_and_l2_observe_per_model() {
    // §10.3: bare (APM), bare-swap (Bochs), RFC, v1 and merged-quirk-off give L2 its own gPAT,
    // write it back, and leave L1's PAT alone; QEMU TCG and legacy KVM share one PAT and write
    // nothing back (vmcb12 keeps G).
    for (model, expect) in [
        ("bare", (G, G, G2, H, G2)),
        ("bare-swap", (G, G, G2, H, G2)),
        ("bare-qemu", (H, H, G2, G2, G)),
        ("kvm-legacy", (H, H, G2, G2, G)),
        ("kvm-rfc", (G, G, G2, H, G2)),
        ("kvm-swap", (G, G, G2, H, G2)),
        ("kvm-merged", (G, G, G2, H, G2)),
    ] {
        assert_eq!(observed(&run(model)), expect, "{model}");
    }
}

#[test]
fn lockstep_compare_against_bare() {
    for m in Model::ALL.into_iter().skip(1) {
        let c = compare(PROGRAM, [Model::DEFAULT, m], 64, 100_000, &L0Config::default()).unwrap();
        let shares_pat = matches!(m.name(), "bare-qemu" | "kvm-legacy");
        assert_eq!(c.agree, !shares_pat, "{m}: {:?}", c.divergence);
        if let Some(d) = c.divergence {
            // The first thing L2 sees differently is its first RDMSR(PAT) (§8.1 vs legacy §9.2).
            assert_eq!((d.level.as_str(), d.instruction.as_str()), ("L2", "rdmsr"));
            assert!(d.differences.iter().any(|l| l == "rax: 0x6060606 vs 0x70404"), "{:?}", d.differences);
        } else {
            assert_eq!(c.ends, ["debug-exit 0".to_string(), "debug-exit 0".to_string()]);
        }
    }
}

/// Runs under `from` until L2 is in its spin loop, migrates, and runs to the end.
fn migrated(from: Design, to: Design, order: SaveOrder) -> ((u64, u64, u64, u64, u64), Vec<String>) {
    let Sim::Kvm(mut k) = Sim::new(PROGRAM, 64, Model::L0(from), &L0Config::default()).unwrap() else { unreachable!() };
    while k.level() != Level::L2 {
        k.step().unwrap();
    }
    for _ in 0..50 {
        k.step().unwrap();
    }
    assert_eq!(k.level(), Level::L2, "still spinning");
    let (k2, m) = migrate(&k, to, order).expect("restore accepted");
    let mut s = Sim::Kvm(Box::new(k2));
    s.run(100_000).unwrap();
    (observed(&s), m.lost)
}

#[test]
fn save_restore_matrix_while_l2_runs() {
    use Design::*;
    use SaveOrder::*;
    for order in [MsrsFirst, NestedStateFirst] {
        // Same design: exact in either order (§9.2, §9.3 steps 3–4, §9.4 steps 3–4, §9.7).
        assert_eq!(migrated(KvmMerged, KvmMerged, order), ((G, G, G2, H, G2), vec![]), "{order:?}");
        assert_eq!(migrated(KvmRfc, KvmRfc, order), ((G, G, G2, H, G2), vec![]), "{order:?}");
        assert_eq!(migrated(KvmSwap, KvmSwap, order), ((G, G, G2, H, G2), vec![]), "{order:?}");
        assert_eq!(migrated(KvmLegacy, KvmLegacy, order).1, Vec::<String>::new());
        // v1 checkpoint on an old kernel (§9.4 step 5): KVM_SET_MSRS restores L2's PAT into the
        // one shared PAT, and L1 keeps running on it: after L2's write, L1 sees G'.
        let (o, lost) = migrated(KvmSwap, KvmLegacy, order);
        assert_eq!((o.1, o.3, lost), (G, G2, vec!["L1's PAT".to_string()]));
        // Merged quirk-off checkpoint on an old kernel (§9.7 table): gPAT lost, L2 runs on H.
        let (o, lost) = migrated(KvmMerged, KvmLegacy, order);
        assert_eq!((o.1, lost), (H, vec!["L2's gPAT".to_string()]));
        // Old kernel's checkpoint on merged quirk-off (§9.7 table, derived): hdr.gpat = 0.
        let (o, lost) = migrated(KvmLegacy, KvmMerged, order);
        assert_eq!((o.1, o.3, lost), (0, H, vec!["L2's gPAT".to_string()]));
    }
}

#[test]
fn pat_layers_of_l2s_first_fetch() {
    use nestscope_core::pat_layers::pat_layers;
    use nestscope_core::mem::memtype::MemType;
    use nestscope_core::mem::paging::Access;
    // L2's PTEs and L1's NPT entry select PA0 everywhere. gPAT PA0: WB (G) or, under legacy and
    // bare-qemu, L1's PAT PA0 = WT (H); L1's PAT PA0 = WT; L0's PAT PA0 = WB (power-on value).
    // Table 15-19 (reference §6.4): WB×WT = WT, WT×WB = WT, WB×WB = WB; MTRR default WB keeps it.
    for (model, l2, bare_metal, result) in [
        ("bare", MemType::WB, None, MemType::WT),
        ("bare-qemu", MemType::WT, None, MemType::WT),
        ("kvm-legacy", MemType::WT, Some(MemType::WT), MemType::WT),
        ("kvm-merged", MemType::WB, Some(MemType::WT), MemType::WB),
        ("kvm-rfc", MemType::WB, Some(MemType::WT), MemType::WB),
    ] {
        let mut s = Sim::new(PROGRAM, 64, model.parse().unwrap(), &L0Config::default()).unwrap();
        while s.level() != Level::L2 {
            s.step().unwrap();
        }
        let l = pat_layers(&s, s.machine().cpu.regs.rip, Access::FETCH).unwrap();
        assert_eq!(l.l2_gpat.mem_type, l2, "{model}");
        assert_eq!(l.l1_pat.map(|p| (p.index, p.mem_type)), Some((0, MemType::WT)), "{model}");
        assert_eq!(l.bare_metal.map(|b| b.result), bare_metal, "{model}");
        assert_eq!(l.model.result, result, "{model}: {}", l.summary());
        assert_eq!(l.l0_pat.is_some(), model.starts_with("kvm"), "{model}");
    }
}
