//! The CPU as a component: architectural state, the RAM and CONTRACT devices it reaches, its
//! TLB and decode cache, and fetch/translate/deliver — generic over a virtualization extension.
//!
//! The processor knows no hypervisor and no SVM data structure: everything a virtualization
//! extension adds goes through the small [`Virt`] hook interface, which `svm/` implements for
//! `SvmState` (and `()` implements as "no extension"). The hooks:
//! - instructions: every instruction that can be intercepted runs through `execute`, which asks
//!   [`Virt::pre_execute`] first (the pre-decoded fast forms in exec/fast.rs never include one);
//! - exceptions: every delivery goes through `deliver_exception`, which asks
//!   [`Virt::exception_exit`] whether the exception is intercepted;
//! - translation: `translate` → `translate_slow` → `paging::walk`, or [`Virt::translate_nested`]
//!   while the extension reports nested paging. Call `tlb_world_switch` on every world switch (it
//!   also drops the code-page cache) and `flush_tlb` whenever what linear addresses mean changes
//!   behind the CPU's back;
//! - #VMEXIT: a `Trap::Exit` is handed to [`Virt::vmexit`], which either reloads the host (the
//!   instruction retired) or returns the exit as a value for whoever entered the guest.
//!
//! Steps: one per retired instruction, per REP chunk (`string::REP_CHUNK` iterations) and per
//! exception delivered (so that a faulting loop still spends the budget); the run loop in
//! machine.rs counts them in `steps`.
#![allow(clippy::cast_possible_truncation, reason = "page offsets (at most 0x1000) become buffer lengths")]
use crate::cpu::exec::fast::Fast;
pub use crate::cpu::interrupts::{EventAction, External};
use crate::cpu::exec::{outcome_of, ExecResult, Flow};
use crate::cpu::icache::DecodeCache;
use crate::cpu::tlb::{perm, Tlb, TlbContext};
use crate::cpu::{decode, Cpu};
use crate::mem::paging::{self, Access, PagingMode};
use crate::mem::{Gva, Hpa, NestedPaging, PhysMem};
use crate::outcome::{EmuError, Fault, IdtEvent, PhysUse, StepOutcome, Stepped, Stop, Trap, Undelivered, VmExit};
use iced_x86::Instruction;

/// DR6.BS: the #DB was a single-step trap (APM vol.2 13.1.1.3).
const DR6_BS: u64 = 1 << 14;
/// RFLAGS.RF: suppresses instruction breakpoints on the instruction it is set for; cleared when an
/// instruction completes (APM vol.2 3.1.6, 13.1.3.3).
pub(crate) const RF: u64 = 1 << 16;
/// DR7 L0–L3 / G0–G3: any breakpoint enabled.
pub(crate) const DR7_ENABLES: u64 = 0xff;

/// The hooks a virtualization extension plugs into the processor (see the module comment).
/// Hooks that need the whole processor take it as `p`; `V` is monomorphized, so they inline.
pub trait Virt: Sized {
    /// The nested-paging context of the running guest, if it has one.
    fn nested_paging(&self) -> Option<&NestedPaging>;
    /// A guest runs (so intercept checks apply).
    fn in_guest(&self) -> bool;
    /// Added to what RDTSC/RDTSCP/RDMSR(TSC) return (the running guest's TSC offset).
    fn tsc_offset(&self) -> u64;
    /// Before an instruction executes: its intercept as a #VMEXIT, or the extension's own
    /// instruction executed (`Some`), or `None` to execute it normally.
    fn pre_execute(p: &mut Processor<Self>, ins: &Instruction) -> Option<ExecResult>;
    /// An exception about to be delivered in a guest: the #VMEXIT it causes, if intercepted.
    fn exception_exit(p: &Processor<Self>, f: &Fault, prior: Option<&IdtEvent>) -> Option<VmExit>;
    /// A #VMEXIT raised while delivering `event` (records the event being delivered).
    fn exit_during_delivery(p: &Processor<Self>, exit: VmExit, event: &IdtEvent) -> VmExit;
    /// A triple fault in a guest: the #VMEXIT(SHUTDOWN) when intercepted.
    fn shutdown_exit(p: &Processor<Self>) -> Option<VmExit>;
    /// The translation of `la` while `nested_paging` is `Some` (fills the TLB).
    fn translate_nested(p: &mut Processor<Self>, la: u64, acc: Access) -> Result<Hpa, Trap>;
    /// Performs a #VMEXIT: `None` when the host was reloaded (the exit retired), or the exit as a
    /// value for a host outside the processor.
    fn vmexit(p: &mut Processor<Self>, exit: VmExit) -> Result<Option<VmExit>, EmuError>;
    /// What happens to a pending external event now (cpu/interrupts.rs): GIF, intercepts,
    /// interrupt masking in a guest.
    fn event_action(p: &Processor<Self>, ev: External) -> EventAction;
    /// A virtual interrupt of the running guest that can be taken now: its vector and whether it
    /// is an NMI (the request is consumed), or the #VMEXIT its intercept causes.
    fn virtual_interrupt(p: &mut Processor<Self>) -> Option<Result<(u8, bool), VmExit>>;
    /// IRET retired (it ends NMI blocking; the extension's virtual NMI blocking too).
    fn iret(p: &mut Processor<Self>);
    /// The extension holds a virtual interrupt request (so the processor keeps looking).
    fn virtual_pending(&self) -> bool;
}

/// No virtualization extension: a plain x86-64 processor, on which the SVM instructions are
/// #UD (APM vol.3 "VMRUN" etc.: SVM not available).
impl Virt for () {
    fn nested_paging(&self) -> Option<&NestedPaging> {
        None
    }
    fn in_guest(&self) -> bool {
        false
    }
    fn tsc_offset(&self) -> u64 {
        0
    }
    fn pre_execute(_: &mut Processor<()>, ins: &Instruction) -> Option<ExecResult> {
        use iced_x86::Mnemonic as M;
        match ins.mnemonic() {
            M::Vmrun | M::Vmload | M::Vmsave | M::Stgi | M::Clgi | M::Invlpga | M::Vmmcall | M::Skinit => {
                Some(Err(Fault::ud().into()))
            }
            _ => None,
        }
    }
    fn exception_exit(_: &Processor<()>, _: &Fault, _: Option<&IdtEvent>) -> Option<VmExit> {
        None
    }
    fn exit_during_delivery(_: &Processor<()>, exit: VmExit, _: &IdtEvent) -> VmExit {
        exit
    }
    fn shutdown_exit(_: &Processor<()>) -> Option<VmExit> {
        None
    }
    fn translate_nested(_: &mut Processor<()>, la: u64, _: Access) -> Result<Hpa, Trap> {
        Ok(Hpa(la))
    }
    fn vmexit(_: &mut Processor<()>, exit: VmExit) -> Result<Option<VmExit>, EmuError> {
        Ok(Some(exit))
    }
    fn event_action(p: &Processor<()>, ev: External) -> EventAction {
        p.native_action(ev)
    }
    fn virtual_interrupt(_: &mut Processor<()>) -> Option<Result<(u8, bool), VmExit>> {
        None
    }
    fn iret(_: &mut Processor<()>) {}
    fn virtual_pending(&self) -> bool {
        false
    }
}

/// One logical processor with the RAM and devices it reaches, and its extension `V`.
#[derive(Clone)]
pub struct Processor<V> {
    pub cpu: Cpu,
    pub mem: PhysMem,
    /// What the program printed: bytes written to port 0xE9 and sent by the UART (devices/).
    pub console: Vec<u8>,
    /// The devices on the port and MMIO bus (devices/).
    pub devices: crate::devices::Devices,
    /// Retired instructions at any level since the program's start (the TSC derives from it).
    pub steps: u64,
    /// World switches at every level (the first and last ones kept, all counted: trace/log.rs).
    pub events: crate::trace::EventLog,
    /// Linear → physical translations (not architectural state; rebuilt on demand).
    pub tlb: Tlb,
    /// Decoded instructions by (RIP, physical address) (not architectural state).
    pub icache: DecodeCache,
    /// Basic blocks of fast forms (cpu/blocks.rs; not architectural state).
    pub(crate) blocks: crate::cpu::blocks::BlockCache,
    /// The last code page: (linear page | user << 1 | 1, physical page); cleared with the TLB.
    pub(crate) fetch_tag: u64,
    pub(crate) fetch_page: u64,
    /// The virtualization extension (SVM: svm/state.rs).
    pub svm: V,
    /// The step (`steps` value) of the instruction in an interrupt shadow — the one after STI
    /// (IF 0 → 1), MOV SS or POP SS (APM vol.2 8.1.2 / 15.21.5); `u64::MAX` for none. Checked
    /// only where the shadow is observable (the VMCB's INTERRUPT_SHADOW at #VMEXIT), so the hot
    /// path pays nothing.
    pub shadow_step: u64,
    /// Between instructions, look for external events (cpu/interrupts.rs): set by whatever may
    /// make one pending (an APIC write, a guest entry), cleared when nothing is pending at all.
    pub(crate) event_check: bool,
    /// HLT is waiting for an interrupt (cpu/interrupts.rs); RIP is past the HLT.
    pub halted: bool,
    /// The step budget of the run in progress (machine.rs `run_guest`); 0 while single-stepping.
    /// Idioms executed in bulk (exec/fill.rs) stay within it.
    pub(crate) step_limit: u64,
    /// Steps run in bulk by idioms (exec/fill.rs), a statistic: included in `steps`.
    pub idiom_steps: u64,
    /// NMIs are blocked: an NMI handler runs and has not executed IRET (APM vol.2 8.2.3).
    pub nmi_blocked: bool,
    /// The last REP chunk started: (RIP, `steps`, count register, iterations allowed); a chunk
    /// cut short by an exit that counted no step goes on from it (exec/string.rs).
    pub rep_resume: Option<(u64, u64, u64, u64)>,
    /// The RFLAGS bits that send an instruction through the cold traced path (cpu/lbr.rs): TF,
    /// plus the always-1 bit 1 while DEBUGCTL.LBR records branches. Derived from DEBUGCTL
    /// (`refresh_trace`), not architectural state.
    pub(crate) trace_mask: u64,
    /// The instruction executing now (an IRET) loaded RFLAGS.RF = 1 while RF was already set:
    /// RF stays for the next instruction instead of being cleared at completion.
    keep_rf: bool,
}

impl<V: Virt> Processor<V> {
    /// A processor in state `cpu` with RAM `mem` and extension `svm`; empty caches.
    pub fn new(cpu: Cpu, mem: PhysMem, svm: V) -> Self {
        let mut p = Processor {
            cpu,
            mem,
            console: Vec::new(),
            devices: Default::default(),
            steps: 0,
            events: Default::default(),
            tlb: Tlb::default(),
            icache: DecodeCache::default(),
            blocks: Default::default(),
            fetch_tag: 0,
            fetch_page: 0,
            svm,
            shadow_step: u64::MAX,
            event_check: true,
            halted: false,
            step_limit: 0,
            idiom_steps: 0,
            nmi_blocked: false,
            rep_resume: None,
            keep_rf: false,
            trace_mask: crate::cpu::regs::flags::TF,
        };
        p.refresh_trace();
        p
    }

    /// The physical page of the code being executed (valid while the code-page cache is).
    pub(crate) fn fetch_page_addr(&self) -> u64 {
        if self.fetch_tag == 0 { u64::MAX } else { self.fetch_page }
    }

    /// Drops every cached translation. The SVM layer calls this on world switches (and
    /// whenever it changes what linear addresses mean behind the CPU's back).
    pub fn flush_tlb(&mut self) {
        self.tlb.flush_all(self.mem.pt_writes());
        self.fetch_tag = 0;
    }

    /// MOV CR3: keeps global translations when CR4.PGE is set.
    pub(crate) fn flush_tlb_nonglobal(&mut self) {
        if self.cpu.ctl.cr4 & crate::cpu::control::cr4::PGE != 0 {
            self.tlb.flush_nonglobal();
        } else {
            self.tlb.flush_all(self.mem.pt_writes());
        }
        self.fetch_tag = 0;
    }

    /// What the current translations depend on besides memory (cpu/tlb.rs).
    pub(crate) fn tlb_context(&self) -> TlbContext {
        let c = &self.cpu.ctl;
        TlbContext { cr0: c.cr0, cr3: c.cr3, cr4: c.cr4, efer: c.efer, np: self.svm.nested_paging().copied() }
    }

    /// A world switch from translation context `from` to the current one (`None`: the L0 model's
    /// Rust code, which does not translate). Observably a full TLB flush (cpu/tlb.rs).
    pub(crate) fn tlb_world_switch(&mut self, from: Option<TlbContext>, to: Option<TlbContext>) {
        self.tlb.switch(from, to, self.mem.pt_writes());
        self.fetch_tag = 0;
    }

    /// INVLPG. The TLB holds 4 KiB granules of possibly larger pages, so the whole TLB is
    /// dropped (always correct, and INVLPG is rare).
    pub(crate) fn invlpg(&mut self, _la: u64) {
        self.flush_tlb();
    }

    /// The paging inputs of the current mode: the table format from EFER.LMA, CR4.PAE and
    /// CR4.PSE (APM vol.2 5.1), CR0.WP, EFER.NXE (long mode and PAE only) and CR4.SMEP.
    pub fn paging_mode(&self) -> PagingMode {
        use crate::cpu::control::{cr0, cr4, efer};
        use crate::mem::paging::PagingKind;
        let c = &self.cpu.ctl;
        let kind = if c.efer & efer::LMA != 0 {
            PagingKind::Long
        } else if c.cr4 & cr4::PAE != 0 {
            PagingKind::Pae
        } else {
            PagingKind::Legacy32 { pse: c.cr4 & cr4::PSE != 0 }
        };
        PagingMode {
            cr3: c.cr3,
            wp: c.cr0 & cr0::WP != 0,
            nxe: c.efer & efer::NXE != 0 && !matches!(kind, PagingKind::Legacy32 { .. }),
            smep: c.cr4 & cr4::SMEP != 0,
            kind,
        }
    }

    /// Translates a linear address for the current paging mode, raising #GP(0) for a
    /// non-canonical address and #PF when the walk fails.
    #[inline]
    pub fn translate(&mut self, va: Gva, acc: Access) -> Result<Hpa, Trap> {
        let la = va.0;
        // SVM hook: with nested paging even a guest with paging off goes through the NPT.
        if self.cpu.ctl.cr0 & crate::cpu::control::cr0::PG == 0 && self.svm.nested_paging().is_none() {
            return Ok(Hpa(la));
        }
        let wp = self.cpu.ctl.cr0 & crate::cpu::control::cr0::WP != 0;
        let nxe = self.cpu.ctl.efer & crate::cpu::control::efer::NXE != 0;
        if let Some(pa) = self.tlb.lookup(la, acc, wp, nxe) {
            return Ok(Hpa(pa));
        }
        self.translate_slow(la, acc)
    }

    #[cold]
    fn translate_slow(&mut self, la: u64, acc: Access) -> Result<Hpa, Trap> {
        if !crate::cpu::exec::is_canonical(la) {
            return Err(Fault::gp0().into());
        }
        // SVM hook (svm/nested_walk.rs): the 2-D walk of a guest with nested paging.
        if self.svm.nested_paging().is_some() {
            return V::translate_nested(self, la, acc);
        }
        let mode = self.paging_mode();
        match paging::walk(&mut self.mem, mode, Gva(la), acc) {
            Ok(w) => {
                let mut p = 0;
                if w.writable {
                    p |= perm::WRITABLE;
                }
                if w.user {
                    p |= perm::USER;
                }
                if w.nx {
                    p |= perm::NX;
                }
                if w.dirty {
                    p |= perm::DIRTY;
                }
                if w.global {
                    p |= perm::GLOBAL;
                }
                // With CR4.SMEP a user page is walked at every access (the TLB's permission
                // check does not know SMEP; the fast path stays as it is).
                if !(mode.smep && w.user) {
                    self.tlb.insert(la, w.phys.0, p);
                }
                Ok(w.phys)
            }
            Err((code, _)) => Err(Fault::pf(code, la).into()),
        }
    }

    /// Reads `size` (1..=8) bytes at a linear address.
    #[inline]
    pub(crate) fn read_lin(&mut self, la: u64, size: u32, acc: Access) -> Result<u64, Trap> {
        if (la & 0xfff) + size as u64 <= 0x1000 {
            let pa = self.translate(Gva(la), acc)?;
            return match self.mem.read_small(pa, size) {
                Ok(v) => Ok(v),
                Err(_) => self.mmio_read(pa, size),
            };
        }
        let mut buf = [0u8; 8];
        self.read_lin_bytes(la, &mut buf[..size as usize], acc)?;
        Ok(u64::from_le_bytes(buf))
    }

    /// Writes `size` (1..=8) bytes at a linear address with the current CPL.
    #[inline]
    pub(crate) fn write_lin(&mut self, la: u64, size: u32, val: u64) -> Result<(), Trap> {
        let acc = self.data_access(true);
        self.write_lin_acc(la, size, val, acc)
    }

    /// Writes `size` (1..=8) bytes with an explicit access kind (e.g. supervisor pushes during
    /// event delivery).
    #[inline]
    pub(crate) fn write_lin_acc(&mut self, la: u64, size: u32, val: u64, acc: Access) -> Result<(), Trap> {
        if (la & 0xfff) + size as u64 <= 0x1000 {
            let pa = self.translate(Gva(la), acc)?;
            return match self.mem.write_small(pa, size, val) {
                Ok(()) => Ok(()),
                Err(_) => self.mmio_write(pa, val),
            };
        }
        let bytes = val.to_le_bytes();
        self.write_lin_bytes(la, &bytes[..size as usize], acc)
    }

    /// A read outside RAM: a device's register (devices/), else an emulator error.
    #[cold]
    fn mmio_read(&mut self, pa: Hpa, size: u32) -> Result<u64, Trap> {
        self.devices.mmio_read(pa.0, size, self.steps).ok_or_else(|| Trap::from(EmuError::outside_ram(PhysUse::Read, pa)))
    }

    /// A write outside RAM: a device's register (devices/), else an emulator error.
    #[cold]
    fn mmio_write(&mut self, pa: Hpa, val: u64) -> Result<(), Trap> {
        match self.devices.mmio_write(pa.0, val, self.steps) {
            Some(Ok(())) => {
                // An APIC write may request an interrupt or start the timer (cpu/interrupts.rs).
                self.event_check = true;
                Ok(())
            }
            Some(Err(ipi)) => Err(EmuError::Unmodelled(crate::outcome::Unmodelled::Ipi(ipi.0)).into()),
            None => Err(EmuError::outside_ram(PhysUse::Write, pa).into()),
        }
    }

    pub(crate) fn read_lin_bytes(&mut self, la: u64, buf: &mut [u8], acc: Access) -> Result<(), Trap> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = la.wrapping_add(done as u64);
            let n = ((0x1000 - (a & 0xfff)) as usize).min(buf.len() - done);
            let pa = self.translate(Gva(a), acc)?;
            self.mem.read(pa, &mut buf[done..done + n]).map_err(|e| {
                Trap::from(EmuError::outside_ram(PhysUse::Read, e.0))
            })?;
            done += n;
        }
        Ok(())
    }

    pub(crate) fn write_lin_bytes(&mut self, la: u64, data: &[u8], acc: Access) -> Result<(), Trap> {
        // Translate every page first so a fault leaves memory untouched.
        let first = self.translate(Gva(la), acc)?;
        let split = ((0x1000 - (la & 0xfff)) as usize).min(data.len());
        let second = if split < data.len() { Some(self.translate(Gva(la.wrapping_add(split as u64)), acc)?) } else { None };
        let oob = |e: crate::mem::phys::OutOfRange| {
            Trap::from(EmuError::outside_ram(PhysUse::Write, e.0))
        };
        self.mem.write(first, &data[..split]).map_err(oob)?;
        if let Some(s) = second {
            self.mem.write(s, &data[split..]).map_err(oob)?;
        }
        Ok(())
    }

    /// Enters an instruction that lies within its page into the decode cache.
    fn cache_insert(&mut self, rip: u64, pa: Hpa, generation: u32, ins: &Instruction) {
        self.icache.insert(rip, pa.0, generation, ins);
        // The JNE closing a byte-fill loop on this page gets its idiom form (exec/fill.rs).
        if ins.is_jcc_short_or_near() && ins.near_branch_target() == rip.wrapping_sub(10) && rip & 0xfff >= 10 {
            let mut body = [0u8; 10];
            if self.mem.read(Hpa(pa.0 - 10), &mut body).is_ok()
                && let Some(f) = crate::cpu::exec::fill::recognize(ins, &body)
            {
                self.icache.set_fast(rip, pa.0, f);
            }
        }
    }

    /// Decodes the instruction at `rip` (physical `pa`) into the decode cache, as a fetch would,
    /// when it lies within its page in RAM; false otherwise (nothing cached).
    pub(crate) fn predecode(&mut self, rip: u64, pa: Hpa, generation: u32) -> bool {
        let mut buf = [0u8; 15];
        let first = ((0x1000 - (rip & 0xfff)) as usize).min(15);
        if self.mem.read(pa, &mut buf[..first]).is_err() {
            return false;
        }
        match decode::decode64(&buf[..first], rip) {
            Some(ins) if ins.len() <= first => {
                self.cache_insert(rip, pa, generation, &ins);
                true
            }
            _ => false,
        }
    }

    #[cold]
    fn fetch_decode_slow(&mut self, rip: u64, pa: Hpa, generation: u32, acc: Access) -> Result<Instruction, Trap> {
        let mut buf = [0u8; 15];
        // Fetch what is on the first page; only touch the next page when the instruction needs it.
        let first = ((0x1000 - (rip & 0xfff)) as usize).min(15);
        self.mem
            .read(pa, &mut buf[..first])
            .map_err(|e| Trap::from(EmuError::outside_ram(PhysUse::Fetch, e.0)))?;
        if let Some(ins) = decode::decode64(&buf[..first], rip)
            && ins.len() <= first
        {
            if first == 15 || (rip & 0xfff) + ins.len() as u64 <= 0x1000 {
                self.cache_insert(rip, pa, generation, &ins);
            }
            return Ok(ins);
        }
        if first < 15 {
            self.read_lin_bytes(rip.wrapping_add(first as u64), &mut buf[first..], acc)?;
        }
        decode::decode64(&buf, rip).ok_or_else(|| Fault::ud().into())
    }

    /// What an instruction's trap becomes: a delivered exception (`Retired`), a stop, or the
    /// #VMEXIT it causes. Steps are counted by the run loop (machine.rs), not here.
    #[inline]
    pub(crate) fn resolve(&mut self, r: Result<Flow, Trap>) -> Result<Stepped, EmuError> {
        Ok(match r {
            Ok(flow) => match outcome_of(flow) {
                StepOutcome::Retired => Stepped::Retired,
                StepOutcome::Stopped(s) => Stepped::Stopped(s),
            },
            Err(Trap::Emu(e)) => return Err(*e),
            Err(Trap::Fault(f)) => self.deliver_fault(f)?,
            // SVM: an intercepted guest instruction or a nested page fault (svm/vmexit.rs).
            Err(Trap::Exit(x)) => self.vmexit(x)?,
        })
    }

    /// #VMEXIT from the running guest: back to the host program after its VMRUN (`Retired`), or
    /// the exit as a value for whoever entered the guest from outside (`Exited`).
    pub(crate) fn vmexit(&mut self, x: crate::outcome::VmExit) -> Result<Stepped, EmuError> {
        Ok(match V::vmexit(self, x)? {
            Some(x) => Stepped::Exited(x),
            // The host's VMRUN completes at the #VMEXIT: with the host's TF set, its single-step
            // trap comes now, at the instruction after VMRUN (kvm-unit-tests host_rflags).
            None if self.cpu.regs.rflags & crate::cpu::regs::flags::TF != 0 => {
                self.cpu.ctl.dr[6] |= DR6_BS;
                self.deliver_fault(Fault::new(crate::outcome::vector::DB))?
            }
            None => Stepped::Retired,
        })
    }

    /// After an instruction that began with RFLAGS.TF set: the single-step #DB trap (APM vol.2
    /// 13.1.3.5), with DR6.BS. Not when the instruction stopped the machine, nor when it entered a
    /// guest (VMRUN completes at the #VMEXIT: see `vmexit`).
    #[cold]
    pub(crate) fn single_step_trap(&mut self, flow: Flow, was_guest: bool) -> Result<Flow, Trap> {
        if matches!(flow, Flow::Stop(_)) || (!was_guest && self.svm.in_guest()) {
            return Ok(flow);
        }
        self.cpu.ctl.dr[6] |= DR6_BS;
        Err(Fault::new(crate::outcome::vector::DB).into())
    }

    /// Fetches (through the decode cache), executes, and moves RIP on. With RFLAGS.TF set or
    /// DEBUGCTL.LBR recording (`trace_mask`) the instruction takes the cold traced path
    /// (cpu/lbr.rs `fetch_execute_traced`: single-step trap, branch recording), so the plain path
    /// pays one test for both.
    #[inline]
    pub(crate) fn fetch_execute(&mut self) -> Result<Flow, Trap> {
        if self.cpu.regs.rflags & self.trace_mask != 0 {
            return self.fetch_execute_traced();
        }
        self.fetch_execute_plain()
    }

    /// `fetch_execute` without tracing.
    #[inline]
    pub(crate) fn fetch_execute_plain(&mut self) -> Result<Flow, Trap> {
        // 64-bit mode (EFER.LMA and CS.L) takes the cached path; protected and compatibility
        // mode code the plain one.
        if self.cpu.ctl.efer & crate::cpu::control::efer::LMA == 0 || !self.cpu.cs.long_mode() {
            return self.fetch_execute_legacy();
        }
        let rip = self.cpu.regs.rip;
        let acc = Access { fetch: true, ..self.data_access(false) };
        let tag = (rip & !0xfff) | ((acc.user as u64) << 1) | 1;
        let pa = if self.fetch_tag == tag {
            Hpa(self.fetch_page | (rip & 0xfff))
        } else {
            match self.fetch_new_page(rip, acc, tag)? {
                Some(pa) => pa,
                // Breakpoints enabled in DR7: every instruction takes the cold path, which checks
                // them (the code page is not remembered, so this branch is taken each time).
                None => return self.fetch_execute_legacy(),
            }
        };
        let generation = self.mem.page_generation(pa);
        let (flow, next) = match self.icache.lookup(rip, pa.0, generation) {
            Some(e) if !matches!(e.fast, Fast::Generic) => {
                let (f, next) = (e.fast, e.next);
                (self.exec_fast(&f, next)?, next)
            }
            Some(e) => {
                let ins = e.ins;
                (self.execute(&ins)?, ins.next_ip())
            }
            None => {
                let ins = self.fetch_decode_slow(rip, pa, generation, acc)?;
                (self.execute(&ins)?, ins.next_ip())
            }
        };
        match flow {
            Flow::Jump(t) => self.cpu.regs.rip = t,
            Flow::Repeat => {}
            _ => self.cpu.regs.rip = next,
        }
        Ok(flow)
    }

    /// The code page changed (or is not remembered): its translation, remembered for the next
    /// fetches; `None` while DR7 enables a breakpoint (the caller takes the checking path).
    #[inline(never)]
    fn fetch_new_page(&mut self, rip: u64, acc: Access, tag: u64) -> Result<Option<Hpa>, Trap> {
        if self.cpu.ctl.dr[7] & DR7_ENABLES != 0 {
            return Ok(None);
        }
        let pa = self.translate(Gva(rip), acc)?;
        self.fetch_tag = tag;
        self.fetch_page = pa.0 & !0xfff;
        Ok(Some(pa))
    }

    /// After an instruction that began with RFLAGS.TF or RF set: RF is cleared as the
    /// instruction completed (unless it was an IRET that loaded RF, or a VMRUN that entered a
    /// guest — the host's RF was cleared in the state VMRUN saved), then the single-step trap.
    #[cold]
    pub(crate) fn debug_after(&mut self, flow: Flow, was_guest: bool, dbg: u64) -> Result<Flow, Trap> {
        let entered_guest = !was_guest && self.svm.in_guest();
        if dbg & RF != 0 && !entered_guest && !matches!(flow, Flow::Stop(_)) && !std::mem::take(&mut self.keep_rf) {
            self.cpu.regs.rflags &= !RF;
        }
        if dbg & crate::cpu::regs::flags::TF != 0 {
            return self.single_step_trap(flow, was_guest);
        }
        Ok(flow)
    }

    /// The instruction executing now (IRET) set RF while it was set: keep it (see `debug_after`).
    pub(crate) fn keep_rf(&mut self) {
        self.keep_rf = true;
    }

    /// DR0–DR7 changed: the fast path must re-check whether breakpoints are enabled.
    pub(crate) fn breakpoints_changed(&mut self) {
        self.fetch_tag = 0;
    }

    /// The instruction executing now puts the next one in an interrupt shadow.
    #[inline]
    pub(crate) fn shadow_next(&mut self) {
        self.shadow_step = self.steps + 1;
    }

    /// The instruction executing now is in an interrupt shadow.
    #[inline]
    pub fn in_interrupt_shadow(&self) -> bool {
        self.shadow_step == self.steps
    }

    /// The operand size of the code segment: 64 in 64-bit mode, else 32 or 16 from CS.D (APM
    /// 4.8.1; real mode counts as 16).
    pub fn code_bitness(&self) -> u32 {
        let lma = self.cpu.ctl.efer & crate::cpu::control::efer::LMA != 0;
        if lma && self.cpu.cs.long_mode() {
            64
        } else if self.cpu.ctl.cr0 & crate::cpu::control::cr0::PE != 0 && self.cpu.cs.default_32() {
            32
        } else {
            16
        }
    }

    /// Delivers an exception through the IDT; when that is impossible even for #DF the machine
    /// shuts down (triple fault). An emulator error during the delivery is returned as such.
    pub(crate) fn deliver_fault(&mut self, f: Fault) -> Result<Stepped, EmuError> {
        match self.deliver_exception(f) {
            Ok(()) => Ok(Stepped::Retired),
            Err(Undelivered::Exit(x)) => self.vmexit(x),
            Err(Undelivered::Emu(e)) => Err(e),
            Err(Undelivered::TripleFault(why)) => match self.svm.in_guest().then(|| V::shutdown_exit(self)).flatten() {
                // SVM hook: a triple fault in a guest with the SHUTDOWN intercept is #VMEXIT(SHUTDOWN).
                Some(x) => self.vmexit(x),
                None => Ok(Stepped::Stopped(Stop::Shutdown(why))),
            },
        }
    }

}

#[cfg(test)]
impl Processor<()> {
    /// Tests: executes until a stop or `max` instructions (without an extension an exit is a bug).
    pub(crate) fn run_until_stop(&mut self, max: usize) -> Option<Stop> {
        for _ in 0..max {
            let r = self.fetch_execute();
            match self.resolve(r).expect("no emulator error") {
                Stepped::Retired => self.steps += 1,
                Stepped::Stopped(s) => return Some(s),
                Stepped::Exited(x) => panic!("no extension, yet an exit {x:?}"),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::Hpa;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A processor without any extension, in the CONTRACT entry state (GDT at 0x1000, identity
    /// 1 GiB pages at 0x2000), running `src` at 0x100000 until a stop or 1000 steps.
    fn run_plain(src: &str) -> (Processor<()>, Option<Stop>) {
        let mut mem = PhysMem::new(4 << 20);
        for (a, v) in [(0x1008u64, 0x00AF_9B00_0000_FFFFu64), (0x1010, 0x00CF_9300_0000_FFFF), (0x2000, 0x3003), (0x3000, 0x83)] {
            mem.write_u64(Hpa(a), v).expect("inside RAM");
        }
        let code = crate::asm::assemble(src).expect("assembles").bytes;
        mem.write(Hpa(0x100000), &code).expect("inside RAM");
        let mut p = Processor::new(Cpu::contract_entry(), mem, ());
        let stop = p.run_until_stop(1000);
        (p, stop)
    }

    #[test]
    fn a_processor_without_extension_executes_x86_64() {
        // 6 * 7 = 42 (ordinary arithmetic), then the debug-exit port stops the run with code 42.
        let (p, stop) = run_plain("bits 64\nmov eax, 6\nimul eax, eax, 7\nout 0xf4, al\n");
        assert_eq!(p.cpu.regs.gpr[0], 42);
        assert_eq!(stop, Some(Stop::DebugExit(42)));
    }

    #[test]
    fn without_svm_vmrun_is_ud_and_with_no_idt_that_triple_faults() {
        // APM vol.3 VMRUN: #UD when SVM is not available. The entry state has an empty IDT, so
        // the #UD cannot be delivered (#GP, then #DF, then shutdown), and RAX is left as set.
        let (p, stop) = run_plain("bits 64\nmov eax, 0x5000\nvmrun\nout 0xf4, al\n");
        assert!(matches!(stop, Some(Stop::Shutdown(_))), "{stop:?}");
        assert_eq!(p.cpu.regs.gpr[0], 0x5000);
        assert_eq!(p.cpu.regs.rip, 0x100005, "RIP stays at the VMRUN");
    }
}
