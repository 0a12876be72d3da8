//! Nested SVM as L0 emulates it for L1 (reference §4.5, §4.6, §2.4): the emulated VMRUN that
//! builds vmcb02 from vmcb01 and vmcb12, the routing of L2's exits (reflect to L1 or handle in
//! L0), the emulated #VMEXIT that writes vmcb12, and L0's #NPF handling (shadow NPT fills, the
//! write protection of L1's NPT pages, faults reflected to L1).
use super::gpat::{NestedCtx, Vmrun12};
use super::l0::{vmcb_read_err, vmcb_write_err, Handled, Kvm, Nested12};
use crate::cpu::control::efer::SVME as EFER_SVME;
use crate::outcome::{EmuError, Fault, L0Failure, ModelLimit, PhysUse};
use crate::cpu::msr::MAXPHYADDR;
use crate::machine::Stop;
use crate::mem::{Gpa, Hpa};
use crate::svm::checks::{check_pae_pdptes, check_vmrun, pae_pdpt_of, HostContext};
use crate::svm::intercept::{is_intercepted, iopm_intercepted_with, msrpm_intercepted_with, set_intercept, IoioInfo};
use crate::svm::npt::{npt_walk_with, NptAccess, NptContext, NptError, NptStage, NptTranslation, NPF_GUEST_FINAL, NPF_GUEST_PAGE};
use crate::svm::vmcb::{Vmcb, VmcbControl, save_f};
use crate::svm::{Intercept as I, SvmExitCode, VmExit};
use crate::trace::{Detail, EventKind, Level};

use crate::mem::paging::pte::{A as PTE_A, D as PTE_D};

impl Kvm {
    /// A byte of L1's RAM at guest-physical `gpa` (L1's permission maps), `Err` outside it.
    fn l1_byte(&self, gpa: u64) -> Result<u8, ()> {
        let hpa = self.layout.l1_to_host(Gpa(gpa)).ok_or(())?;
        self.m.mem.read_u8(hpa).map_err(|_| ())
    }

    /// L1 executed VMRUN (intercepted by L0): KVM's `nested_svm_vmrun()`.
    pub(crate) fn emulate_vmrun(&mut self, next_rip: u64) -> Result<(), EmuError> {
        // L1's state at its VMRUN, read in place from vmcb01 (the hardware #VMEXIT just wrote it).
        let (cr0, cpl, efer, gpa12, vmrun_rip, cr4) = self.vmcb_fields(self.layout.vmcb01, |p| {
            (save_f::cr0.get(p), save_f::cpl.get(p), save_f::efer.get(p), save_f::rax.get(p), save_f::rip.get(p), save_f::cr4.get(p))
        })?;
        if let Some(f) = self.svm_insn_fault_at(cr0, cpl) {
            return self.inject_and_enter(f, false);
        }
        // rAX at the VMRUN's address size (l1_fetch.rs: L0 decodes L1's instruction).
        let gpa12 = self.l1_svm_insn_rax(gpa12);
        let hsave = self.m.cpu.msr.vm_hsave_pa;
        if hsave == 0 || gpa12 & 0xfff != 0 || gpa12 >> MAXPHYADDR != 0 {
            return self.inject_and_enter(Fault::gp0(), false);
        }
        // No L1 RAM there: KVM's nested_svm_vmrun injects #GP when kvm_vcpu_map fails.
        let Some(vmcb12) = self.layout.l1_page_to_host(Gpa(gpa12)) else {
            return self.inject_and_enter(Fault::gp0(), false);
        };
        let mut lent12 = self.m.lend_vmcb(vmcb12).map_err(vmcb_read_err)?;
        let v12 = &mut *lent12.v;
        // The VMRUN instruction retires in every case (KVM skips it before the checks), and as it
        // completes RFLAGS.RF is cleared, as the hardware does for a host's VMRUN (APM vol.2
        // 13.1.3.3; kvm-unit-tests host_rflags — what KVM's skip does with RF is UNCONFIRMED).
        self.edit_vmcb(self.layout.vmcb01, |p| {
            save_f::rip.set(p, next_rip);
            save_f::rflags.set(p, save_f::rflags.get(p) & !(1 << 16));
        })?;
        self.event(EventKind::Vmrun, Level::L1, Level::L2, 0, vmrun_rip, Detail::Vmrun { vmcb: Hpa(gpa12), emulated_by: Some(self.design.name()) });
        let np = v12.control.np_enable();
        let r12 = Vmrun12 {
            g_pat: v12.save.g_pat,
            nested_npt: np,
            new_vmcb12: self.last_vmcb12 != Some(gpa12),
            np_clean: v12.control.clean & crate::svm::vmcb::control::CLEAN_NP != 0,
        };
        let ops = self.design.ops();
        let host = HostContext::new(cr0, ops.checks_gpat(&r12));
        // KVM: nested_vmcb_check_save/controls, then loading L2's CR3 reads the PAE PDPTRs of a
        // guest without nested NPT from L1's memory (load_pdptrs; a reserved bit: SVM_EXIT_ERR).
        let pdptes = pae_pdpt_of(&v12.control, &v12.save).map(|pdpt| {
            std::array::from_fn(|i| {
                let gpa = Gpa(pdpt + 8 * i as u64);
                self.layout.l1_to_host(gpa).and_then(|h| self.m.mem.read_u64(h).ok()).unwrap_or(0)
            })
        });
        let failed = check_vmrun(&v12.control, &v12.save, &host)
            .and_then(|()| pdptes.map_or(Ok(()), |p| check_pae_pdptes(&p)))
            .err()
            .map(Detail::VmrunFailed);
        let merged = if failed.is_none() { self.merge_maps(&v12.control) } else { Ok(()) };
        if let Some(why) = failed.or(merged.err().map(Detail::Text)) {
            // KVM: exit_code = SVM_EXIT_ERR, EXITINFO1/2 = 0, EVENTINJ = 0 in vmcb12; GIF = 0.
            v12.control.set_vmexit(&VmExit::invalid());
            v12.control.event_inj = 0;
            v12.control.event_inj_err = 0;
            self.m.write_lent_vmcb(lent12).map_err(vmcb_write_err)?;
            self.l1_gif = false;
            self.event(EventKind::Vmexit, Level::L2, Level::L1, VmExit::invalid().code.0, vmrun_rip, why);
            return self.enter(false);
        }
        ops.vmrun(&mut self.pat, &r12);
        self.ctx = NestedCtx { guest_mode: true, nested_npt: np };
        self.last_vmcb12 = Some(gpa12);
        let l1_smep = cr4 & crate::cpu::control::cr4::SMEP != 0;
        self.nested = Some(Nested12 { vmcb12: gpa12, ctrl: v12.control.clone(), l1_nxe: efer & (1 << 11) != 0, l1_smep });
        let mut v02 = self.m.blank_vmcb(Hpa(self.layout.vmcb02));
        self.build_vmcb02(v12, &mut v02.v)?;
        let shadow = v12.control.int_state & 1 != 0;
        self.m.give_back_vmcb(lent12);
        self.m.write_lent_vmcb(v02).map_err(vmcb_write_err)?;
        self.sync_gpat_fields();
        self.enter(true)?;
        // vmcb12's INTERRUPT_SHADOW covers L2's first instruction, which runs in the step after
        // L1's VMRUN (L0 counts that step once this exit is handled: l0.rs `exit`).
        if shadow && self.nested.is_some() {
            self.m.p.shadow_step = self.m.p.steps + 1;
        }
        Ok(())
    }

    /// vmcb02 = L0's intercepts ∪ L1's, merged maps, L2's state from vmcb12, nCR3 = the shadow
    /// NPT (nested NPT) or L0's NPT, G_PAT per design.
    fn build_vmcb02(&mut self, v12: &Vmcb, v: &mut Vmcb) -> Result<(), EmuError> {
        let c12 = &v12.control;
        let c = &mut v.control;
        for (n, w) in c12.intercept_words().into_iter().enumerate() {
            if let Some(word) = c.intercept_word_mut(n) {
                *word = w;
            }
        }
        for i in [I::HLT, I::IOIO_PROT, I::MSR_PROT, I::SHUTDOWN, I::VMRUN, I::VMMCALL] {
            set_intercept(c, i, true);
        }
        c.iopm_base_pa = self.layout.iopm02;
        c.msrpm_base_pa = self.layout.msrpm02;
        c.asid = 2;
        c.tlb_ctl = 1;
        // L2's GIF lives in vmcb02 (vGIF, APM 15.33): L2's own STGI/CLGI, which L1 need not
        // intercept, keep it across L0's re-entries (each re-entry would set the GIF); vmcb12's
        // V_GIF when L1 itself enables vGIF for L2 (KVM: V_GIF_ENABLE | V_GIF in vmcb02).
        use crate::svm::vmcb::control::{V_GIF, V_GIF_ENABLE};
        c.int_ctl = if c12.int_ctl & V_GIF_ENABLE != 0 { c12.int_ctl } else { c12.int_ctl | V_GIF_ENABLE | V_GIF };
        c.int_vector = c12.int_vector;
        c.int_state = c12.int_state;
        c.event_inj = c12.event_inj;
        c.event_inj_err = c12.event_inj_err;
        c.next_rip = c12.next_rip;
        // KVM: vmcb02's offset = L1's offset (0 here: L1 reads the host TSC) + vmcb12's.
        c.tsc_offset = c12.tsc_offset;
        c.set_np_enable(true);
        c.nested_cr3 = if c12.np_enable() {
            // Keyed by vmcb12's nCR3 and L1's EFER.NXE (shadow_npt.rs): another L1 NPT than the
            // one the shadow was built from drops it, whatever TLB_CONTROL says.
            let nxe = self.nested.as_ref().is_some_and(|n| n.l1_nxe);
            self.shadow.root_for(&mut self.m.mem, &self.layout, c12.nested_cr3, nxe)?
        } else {
            self.layout.npt_pml4
        };
        let s = &mut v.save;
        let s12 = &v12.save;
        (s.es, s.cs, s.ss, s.ds, s.gdtr, s.idtr) = (s12.es, s12.cs, s12.ss, s12.ds, s12.gdtr, s12.idtr);
        (s.efer, s.cr0, s.cr2, s.cr3, s.cr4) = (s12.efer | EFER_SVME, s12.cr0, s12.cr2, s12.cr3, s12.cr4);
        self.svme[1] = s12.efer & EFER_SVME != 0;
        (s.dr6, s.dr7, s.rflags, s.rip, s.rsp, s.rax, s.cpl) =
            (s12.dr6, s12.dr7, s12.rflags, s12.rip, s12.rsp, s12.rax, s12.cpl);
        s.g_pat = self.pat.vmcb02_gpat;
        super::features::vmcb02_features(v12, v);
        Ok(())
    }

    /// msrpm02/iopm02 = L0's maps OR L1's (when vmcb12 enables them); L1's maps must be readable.
    fn merge_maps(&mut self, c12: &VmcbControl) -> Result<(), String> {
        // KVM merges at every nested VMRUN; the result only changes when L1's maps do, so keep it
        // while the bases, the enables and the write generations of L1's map pages are the same.
        let (mb, ib) = (c12.msrpm_base_pa & !0xfff, c12.iopm_base_pa & !0xfff);
        let page_gen = |a: u64| self.m.mem.page_generation(Hpa(a));
        let gens = [page_gen(mb), page_gen(mb + 0x1000), page_gen(ib), page_gen(ib + 0x1000), page_gen(ib + 0x2000)];
        let key = (mb, ib, is_intercepted(c12, I::MSR_PROT), is_intercepted(c12, I::IOIO_PROT), gens);
        if self.merged_maps.as_ref() == Some(&key) {
            return Ok(());
        }
        // Remembered only once the merge succeeded: a failed one fails again at the next VMRUN.
        self.merged_maps = None;
        let (l0m, l0i) = (self.layout.msrpm01, self.layout.iopm01);
        for (own, l1base, out, len, on) in [
            (l0m, c12.msrpm_base_pa & !0xfff, self.layout.msrpm02, 0x2000usize, is_intercepted(c12, I::MSR_PROT)),
            (l0i, c12.iopm_base_pa & !0xfff, self.layout.iopm02, 0x3000usize, is_intercepted(c12, I::IOIO_PROT)),
        ] {
            let mut merged = vec![0u8; len];
            let _ = self.m.mem.read(Hpa(own), &mut merged);
            if on {
                // Only the MSRPM is read at VMRUN (KVM's nested_svm_merge_msrpm fails when it
                // cannot read it: VMEXIT_INVALID); L1's IOPM is read at each IOIO exit instead.
                if out == self.layout.msrpm02 && l1base + len as u64 > self.layout.l1_mem {
                    return Err(format!(
                        "L1's permission map at {l1base:#x} is outside its RAM (KVM: nested_svm_merge_msrpm fails)"
                    ));
                }
                if out == self.layout.iopm02 {
                    // I/O: every port exits to L0, which reads L1's IOPM at the exit (l2_exit),
                    // as KVM does — L2 may change L1's map while it runs (kvm-unit-tests ioio).
                    merged.fill(0xff);
                } else {
                    let mut l1 = vec![0u8; len];
                    let _ = self.m.mem.read(Hpa(l1base), &mut l1);
                    for (m, b) in merged.iter_mut().zip(l1) {
                        *m |= b;
                    }
                }
            }
            let _ = self.m.mem.write(Hpa(out), &merged);
        }
        // Writing the merged maps bumped nothing of L1's; the key stays valid.
        self.merged_maps = Some(key);
        Ok(())
    }

    /// Exits of L2 (vmcb02): reflect to L1 when L1 intercepts, else L0 handles (reference §2.4).
    pub(crate) fn l2_exit(&mut self, x: VmExit) -> Result<(), EmuError> {
        // An SVM instruction of L2 while its EFER.SVME (the one L1 gave it, kept by L0) is clear
        // is #UD before any intercept (APM vol.3 VMRUN/VMLOAD/VMSAVE/STGI/CLGI/INVLPGA, APM 15.9:
        // #UD is checked before the instruction intercept); vmcb02's EFER.SVME is forced on.
        // (KVM reflects the instruction exit when L1 intercepts it: the model follows the APM.)
        if !self.svme[1]
            && matches!(
                x.code,
                SvmExitCode::VMRUN
                    | SvmExitCode::VMLOAD
                    | SvmExitCode::VMSAVE
                    | SvmExitCode::STGI
                    | SvmExitCode::CLGI
                    | SvmExitCode::INVLPGA
            )
        {
            return self.inject_and_enter(Fault::ud(), true);
        }
        let c12 = &self.nested.as_ref().ok_or(L0Failure::NotInL2("an L2 exit"))?.ctrl;
        let l1_wants = match x.code {
            SvmExitCode::MSR => {
                #[allow(clippy::cast_possible_truncation, reason = "RDMSR/WRMSR take the MSR number in ECX")]
                let msr = self.m.cpu.regs.gpr[1] as u32;
                is_intercepted(c12, I::MSR_PROT)
                    && msrpm_intercepted_with(|a| self.l1_byte(a), c12.msrpm_base_pa, msr, x.info1 != 0).unwrap_or(true)
            }
            SvmExitCode::IOIO => {
                let io = IoioInfo::decode(x.info1)
                    .ok_or(L0Failure::MalformedIoio(x.info1))?;
                is_intercepted(c12, I::IOIO_PROT)
                    && iopm_intercepted_with(|a| self.l1_byte(a), c12.iopm_base_pa, io.port, io.size).unwrap_or(true)
            }
            SvmExitCode::HLT => is_intercepted(c12, I::HLT),
            SvmExitCode::SHUTDOWN => is_intercepted(c12, I::SHUTDOWN),
            SvmExitCode::VMMCALL => is_intercepted(c12, I::VMMCALL),
            _ => true,
        };
        if l1_wants {
            return self.reflect(x);
        }
        // L0 handles it (it intercepts more than L1 does: the PAT MSR, its devices, …).
        let mut v = self.read_vmcb(self.layout.vmcb02)?;
        match x.code {
            SvmExitCode::MSR => {
                if let Some(f) = self.msr_exit(&mut v.save, x.info1 != 0)? {
                    return self.inject_and_enter(f, true);
                }
            }
            SvmExitCode::IOIO => {
                if IoioInfo::decode(x.info1).is_some_and(|io| io.string) {
                    return self.pass_string_io(x, true);
                }
                self.device_io(&mut v.save, x)?;
                if self.m.stopped.is_some() {
                    return Ok(());
                }
            }
            SvmExitCode::HLT => {
                if !self.l0_halt(v.save.rip) {
                    self.m.stopped = Some(Stop::ModelLimit(ModelLimit::L2HaltForever { rip: v.save.rip }));
                    return Ok(());
                }
            }
            SvmExitCode::SHUTDOWN => {
                self.m.stopped = Some(Stop::Shutdown(format!("L2 shut down (triple fault) at rip {:#x}", v.save.rip)));
                return Ok(());
            }
            // VMMCALL that L1 does not intercept is #UD in L2 (APM vol.3 VMMCALL; upstream KVM
            // "nSVM: Raise #UD if unhandled VMMCALL isn't intercepted by L1"), exit 0x46 to L1
            // when L1 intercepts #UD.
            SvmExitCode::VMMCALL => return self.inject_and_enter(Fault::ud(), true),
            other => unreachable!("{} is reflected above", other.name()),
        }
        v.save.rip = x.next_rip;
        self.write_vmcb(self.layout.vmcb02, &v)?;
        self.enter(true)
    }

    /// The emulated #VMEXIT from L2 to L1 (`nested_svm_vmexit()`, reference §4.6): L2's state
    /// from vmcb02 and the exit into vmcb12, field by field in place.
    pub(crate) fn reflect(&mut self, x: VmExit) -> Result<(), EmuError> {
        use crate::svm::vmcb::{VmcbSeg, control_f as cf, save_f as sf};
        let n = self.nested.take().ok_or(L0Failure::NotInL2("reflecting an exit to L1"))?;
        let (segs, regs, cpl, int_state, l2_rip, int_ctl02) = self.vmcb_fields(self.layout.vmcb02, |p| {
            let segs: [VmcbSeg; 6] = [sf::es, sf::cs, sf::ss, sf::ds, sf::gdtr, sf::idtr].map(|f| f.get(p));
            let regs = [sf::efer, sf::cr0, sf::cr2, sf::cr3, sf::cr4, sf::rflags, sf::rip, sf::rsp, sf::rax, sf::dr6, sf::dr7]
                .map(|f| f.get(p));
            (segs, regs, sf::cpl.get(p), cf::int_state.get(p), sf::rip.get(p), cf::int_ctl.get(p))
        })?;
        let ctx = self.ctx;
        let gpat = self.design.ops().vmexit(&mut self.pat, &ctx);
        let svme = if self.svme[1] { EFER_SVME } else { 0 };
        self.edit_vmcb(n.vmcb12, |p| {
            for (f, v) in [sf::es, sf::cs, sf::ss, sf::ds, sf::gdtr, sf::idtr].into_iter().zip(segs) {
                f.set(p, v);
            }
            let [efer, rest @ ..] = regs;
            sf::efer.set(p, (efer & !EFER_SVME) | svme);
            for (f, v) in [sf::cr0, sf::cr2, sf::cr3, sf::cr4, sf::rflags, sf::rip, sf::rsp, sf::rax, sf::dr6, sf::dr7]
                .into_iter()
                .zip(rest)
            {
                f.set(p, v);
            }
            sf::cpl.set(p, cpl);
            if let Some(g) = gpat {
                sf::g_pat.set(p, g);
            }
            VmcbControl::store_vmexit_in_page(p, &x, int_state);
            // What the hardware wrote back into vmcb02's int_ctl goes to vmcb12 (KVM's
            // nested_svm_vmexit: V_IRQ, V_TPR, and V_GIF under vGIF).
            use crate::svm::vmcb::control::{V_GIF, V_GIF_ENABLE, V_IRQ, V_NMI_BLOCKING, V_NMI_PENDING, V_TPR_MASK};
            let gif = if n.ctrl.int_ctl & V_GIF_ENABLE != 0 { V_GIF } else { 0 };
            let keep = V_IRQ | V_TPR_MASK | V_NMI_PENDING | V_NMI_BLOCKING | gif;
            cf::int_ctl.set(p, (cf::int_ctl.get(p) & !keep) | (int_ctl02 & keep));
        })?;
        self.vmexit12_features(n.vmcb12, n.ctrl.misc_ctl2 & crate::svm::vmcb::control::MISC_CTL2_V_LBR != 0)?;
        self.ctx = NestedCtx { guest_mode: false, nested_npt: false };
        self.l1_gif = false;
        self.event(EventKind::Vmexit, Level::L2, Level::L1, x.code.0, l2_rip, Detail::Name(x.code.name()));
        self.sync_gpat_fields();
        // L1's VMRUN completes at this emulated #VMEXIT: with L1's RFLAGS.TF set its single-step
        // #DB trap comes now, before the instruction after VMRUN (what the hardware does for a
        // host, processor.rs `vmexit`; KVM: the single-step of an emulated instruction).
        // L1's DR7 = DR7_FIXED_1: its breakpoints are disabled (reference §4.6 step 4).
        self.edit_vmcb(self.layout.vmcb01, |p| {
            sf::dr7.set(p, 0x400);
            if sf::rflags.get(p) & crate::cpu::regs::flags::TF != 0 {
                sf::dr6.set(p, sf::dr6.get(p) | 1 << 14);
                cf::event_inj.set(p, (1 << 31) | (3 << 8) | crate::outcome::vector::DB as u32);
            }
        })?;
        self.enter(false)
    }

    /// #NPF seen by L0: from L2 with nested NPT, a shadow fill or a fault reflected to L1; from
    /// anyone, a write to a write-protected L1 NPT page (zap, unprotect, retry).
    /// The exit is L0's business, invisible to L1 and L2 (the instruction did not retire),
    /// unless the fault is reflected to L1.
    pub(crate) fn l0_npf(&mut self, x: VmExit, l2: bool) -> Result<Handled, EmuError> {
        if self.last_npf.0 == self.m.steps && self.last_npf.1 == x.info2 {
            self.last_npf.2 += 1;
            if self.last_npf.2 > 64 {
                return Err(L0Failure::NpfLoop { gpa: x.info2, info1: x.info1, step: self.m.steps }.into());
            }
        } else {
            self.last_npf = (self.m.steps, x.info2, 0);
        }
        let nested_np = l2 && self.nested.as_ref().is_some_and(|n| n.ctrl.np_enable());
        if !nested_np {
            let page = x.info2 & !0xfff;
            if x.info2 < self.layout.l1_mem && self.shadow.protected.contains(&page) && x.info1 & 2 != 0 {
                self.shadow.zap(&mut self.m.mem, &self.layout)?;
                self.enter(l2)?;
                return Ok(Handled::Invisible);
            }
            // The guest's own page-table walk (EXITINFO1 bit 33) outside L1's RAM (e.g.
            // CR3 beyond it): the hardware model reads zeros there (not present: #PF, D7), so L0
            // maps the page to its zero page and the walk is retried; nothing else reads it.
            if x.info1 & NPF_GUEST_PAGE != 0
                && x.info2 >= self.layout.l1_mem
                && self.layout.map_unbacked(&mut self.m.mem, Gpa(x.info2)).map_err(|e| EmuError::outside_ram(PhysUse::L0Layout, e.0))?
            {
                self.enter(l2)?;
                return Ok(Handled::Invisible);
            }
            return Err(L0Failure::GpaOutsideL1 { gpa: x.info2, l1_mib: self.layout.l1_mem >> 20 }.into());
        }
        let n = self.nested.clone().ok_or(L0Failure::NotInL2("a nested #NPF"))?;
        let stage = if x.info1 & NPF_GUEST_PAGE != 0 { NptStage::GuestPageTable } else { NptStage::Final };
        let acc = NptAccess { write: x.info1 & 2 != 0, fetch: x.info1 & 0x10 != 0, stage };
        let ctx = NptContext { nxe: n.l1_nxe, smep: n.l1_smep, max_phys_bits: crate::cpu::caps::CpuCaps::MODEL.maxphyaddr };
        // Every table page of L1's NPT is an L1 guest-physical page inside L1's RAM; a walk that
        // leaves it (nCR3 or an entry pointing above L1's RAM, e.g. at L0's own tables) is what
        // `bare` reports for a nested walk outside RAM: an emulator error, and L0 uses nothing it
        // read there (W3).
        let mut entries = Vec::with_capacity(4);
        let walk = npt_walk_with(&self.m.mem, n.ctrl.nested_cr3, Gpa(x.info2), acc, ctx, |a, e| entries.push((a, e)));
        if let Some(&(a, _)) = entries.iter().find(|(a, _)| a.0.checked_add(8).is_none_or(|end| end > self.layout.l1_mem)) {
            return Err(L0Failure::GpaOutsideL1 { gpa: a.0, l1_mib: self.layout.l1_mem >> 20 }.into());
        }
        let walk = walk.map(|t| NptTranslation { spa: t.spa, leaf: t.leaf, leaf_kind: t.leaf_kind, page_size: t.page_size, entries });
        match walk {
            Err(NptError::Fault { exit_info_1, .. }) => {
                // Reflect with L1's error code and the stage the hardware reported (§7.5).
                let info1 = exit_info_1 & !(NPF_GUEST_FINAL | NPF_GUEST_PAGE) | (x.info1 & (NPF_GUEST_FINAL | NPF_GUEST_PAGE));
                self.reflect(VmExit { code: SvmExitCode::NPF, info1, info2: x.info2, int_info: x.int_info, next_rip: 0 })?;
                Ok(Handled::Retired)
            }
            Err(NptError::Memory(a)) => {
                Err(EmuError::outside_ram(PhysUse::L0L1NptEntry, a))
            }
            Ok(t) => {
                // L1's NPT maps L2's address to an L1 guest-physical one (the walk's "SPA" is L1's):
                // L1's RAM, or the xAPIC page L0 passes through to a booted kernel (layout.rs).
                let l1_gpa = Gpa(t.spa.0);
                let apic = l1_gpa.0 & !0xfff == crate::devices::apic::APIC_BASE && self.layout.maps_apic(&self.m.mem);
                let Some(hpa) = self.layout.l1_to_host(l1_gpa).or(apic.then_some(Hpa(l1_gpa.0))) else {
                    return Err(L0Failure::L2MapOutsideL1 { gpa: x.info2, spa: l1_gpa.0, l1_mib: self.layout.l1_mem >> 20 }.into());
                };
                // Accessed on every level, dirty on the leaf for a write (as hardware would).
                let last = t.entries.len() - 1;
                let mut writable = true;
                let mut exec = true;
                for (i, &(ea, e)) in t.entries.iter().enumerate() {
                    let upd = e | PTE_A | if i == last && acc.write { PTE_D } else { 0 };
                    if upd != e {
                        self.m.mem.write_u64(ea, upd).map_err(|e| EmuError::outside_ram(PhysUse::L0L1NptEntry, e.0))?;
                    }
                    writable &= e & 2 != 0;
                    exec &= !(n.l1_nxe && e >> 63 != 0);
                }
                let dirty = acc.write || t.entries[last].1 & PTE_D != 0;
                // A write to one of L1's NPT pages through L2 would bypass the protection: zap
                // first, and leave that page writable until the write retires (`settle` zaps
                // again), else re-protecting it on the next fill re-faults forever (H1).
                let page = l1_gpa.0 & !0xfff;
                let npt_page = t.entries.iter().any(|&(ea, _)| ea.0 & !0xfff == page);
                if acc.write && (self.shadow.protected.contains(&page) || npt_page) {
                    self.shadow.zap(&mut self.m.mem, &self.layout)?;
                    self.shadow.exempt = Some((page, self.m.steps));
                }
                for &(ea, _) in &t.entries {
                    // The walk read L1's table pages in place: each entry address is an L1 GPA.
                    self.shadow.protect(&mut self.m.mem, &self.layout, Gpa(ea.0 & !0xfff))?;
                }
                if !self.shadow.map(&mut self.m.mem, &self.layout, Gpa(x.info2), hpa, writable && dirty, !exec)? {
                    self.shadow.zap(&mut self.m.mem, &self.layout)?;
                }
                // The root may have moved after a zap: point vmcb02 at it again.
                let root = self.shadow.root(&mut self.m.mem, &self.layout)?;
                // An event being delivered when the fill was needed (EXITINTINFO valid) is
                // injected again, or L2 would lose it (KVM: svm_complete_interrupts re-queues
                // exit_int_info for an exit L0 handles itself).
                let reinject = x.int_info >> 31 & 1 != 0;
                self.edit_vmcb(self.layout.vmcb02, |p| {
                    use crate::svm::vmcb::control_f as cf;
                    cf::nested_cr3.set(p, root);
                    if reinject {
                        // EXITINTINFO has EVENTINJ's layout: event in 31:0, error code in 63:32.
                        let (event, err) = (x.int_info & 0xffff_ffff, x.int_info >> 32);
                        cf::event_inj.set(p, u32::try_from(event).unwrap_or(0));
                        cf::event_inj_err.set(p, u32::try_from(err).unwrap_or(0));
                    }
                })?;
                self.enter(true)?;
                Ok(Handled::Invisible)
            }
        }
    }
}
