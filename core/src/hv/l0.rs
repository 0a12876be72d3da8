//! The L0 hypervisor model (KVM-like): it runs the program as L1 on the `bare` hardware model
//! with vmcb01 and its own NPT, intercepts what KVM intercepts for L1 (VMRUN, VMLOAD, VMSAVE,
//! STGI, CLGI, VMMCALL, SKINIT, INVLPGA, the PAT MSR, I/O to the CONTRACT devices, HLT, shutdown)
//! and emulates nested SVM for it (nested.rs) with one of the gPAT designs (gpat/).
#![warn(missing_docs)]
use super::gpat::{Design, NestedCtx, PatRegs};
use super::layout::Layout;
use super::shadow_npt::ShadowNpt;
use crate::outcome::{EmuError, L0Failure, PhysUse};
use crate::cpu::control::efer::SVME as EFER_SVME;
use crate::cpu::msr;
use crate::machine::{LoadError, Machine};
use crate::outcome::{Fault, GuestRun, RunEnd, StepOutcome, Stop};
use crate::mem::{Gpa, Hpa, PhysMem};
use crate::mem::phys::OutOfRange;
use crate::svm::insn::seg_to_vmcb;
use crate::svm::intercept::{set_intercept, EventInj, EventType, IoioInfo};
use crate::svm::vmcb::{Vmcb, VmcbControl, VmcbSave, control_f, save_f};
use crate::svm::vmrun::{GuestEntry, HostPaging};
use crate::svm::{Intercept as I, SvmExitCode, SvmModel, VmExit};
use crate::trace::{Detail, Event, EventKind, Level};

/// L0's own paging mode (64-bit, NXE): it controls the nested walks of L0's tables.
pub const L0_PAGING: HostPaging = HostPaging { cr0: 0x8001_0033, cr4: 0x20, efer: 0x1d00, host_if: false };

/// L0 exits allowed in a row before an instruction retires (`Kvm::run`, `compare`).
pub const MAX_EXITS_WITHOUT_RETIRE: u32 = 10_000;

/// KVM's answer to an unknown hypercall: -KVM_ENOSYS.
pub const KVM_ENOSYS: u64 = (-1000i64) as u64;

/// A VMCB L0 reads or writes lies outside RAM: a bug in the L0 model (or vmcb12 checks).
pub(crate) fn vmcb_read_err(e: OutOfRange) -> EmuError {
    EmuError::outside_ram(PhysUse::L0VmcbRead, e.0)
}
pub(crate) fn vmcb_write_err(e: OutOfRange) -> EmuError {
    EmuError::outside_ram(PhysUse::L0VmcbWrite, e.0)
}

/// Whether handling an exit completed a step of L1/L2. An exit L0 handles entirely by itself
/// (a shadow-NPT fill, a write to a protected NPT page) is invisible to its guests: no step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handled {
    Retired,
    Invisible,
}

/// Configuration of the modelled L0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L0Config {
    /// L0's own PAT (the hardware PAT MSR used with L0's nested tables and the shadow NPT).
    pub pat: u64,
}

impl Default for L0Config {
    fn default() -> Self {
        L0Config { pat: crate::mem::memtype::PAT_POWER_ON }
    }
}

/// What L0 remembers about the L2 that L1 runs (KVM's cached vmcb12).
#[derive(Clone, Debug, PartialEq)]
pub struct Nested12 {
    pub vmcb12: u64,
    pub ctrl: VmcbControl,
    /// L1's EFER.NXE at VMRUN: L1's NPT is walked with L1's paging mode.
    pub l1_nxe: bool,
    /// L1's CR4.SMEP at VMRUN (reported in the ID bit of a fetch's #NPF).
    pub l1_smep: bool,
}

/// The whole modelled system: the hardware machine plus L0's state.
#[derive(Clone)]
pub struct Kvm {
    /// The hardware machine L0 runs on (L1's RAM at host-physical 0, L0's pages above it).
    pub m: Machine,
    /// The KVM gPAT design this L0 follows.
    pub design: Design,
    /// Where L0 keeps its pages (VMCBs, permission maps, NPT, shadow pool) in host RAM.
    pub layout: Layout,
    /// The configuration the L0 was started with (L0's own PAT).
    pub config: L0Config,
    /// Where KVM keeps PAT values: its `vcpu->arch.pat` and the G_PAT of vmcb01 and vmcb02.
    pub pat: PatRegs,
    /// Whether L2 runs and whether vmcb12 enables NP, as the gPAT designs consult it.
    pub ctx: NestedCtx,
    /// L1's (virtual) GIF.
    pub l1_gif: bool,
    /// Set while L2 runs (vmcb02 is the current VMCB).
    pub nested: Option<Nested12>,
    /// L1 guest-physical address of the most recent vmcb12 (kept after L2 exits).
    pub last_vmcb12: Option<u64>,
    /// The shadow NPT L0 builds for L2 when L1 runs it with nested paging.
    pub shadow: ShadowNpt,
    /// EFER.SVME as L1 and L2 see it. The hardware VMCBs always have SVME set (a guest's EFER.SVME
    /// must be 1 for VMRUN, reference §4.2); L0 intercepts EFER and shows each level its own bit,
    /// as KVM does.
    pub svme: [bool; 2],
    /// What msrpm02/iopm02 were last merged from (not architectural; recomputed after a restore).
    pub merged_maps: Option<MergeKey>,
    /// (step, GPA, repeats) of the last #NPF L0 handled itself: a fault that keeps coming back
    /// without an instruction retiring is an L0 bug, reported instead of hanging.
    pub last_npf: (u64, u64, u32),
    /// IOPM bytes (host address, old value) cleared for one string I/O instruction the hardware
    /// executes for L0 (emulate.rs `pass_string_io`); only ever set inside `exit`.
    pub io_pass: Option<(u64, [u8; 2])>,
}

/// L1's permission-map bases, enables and page write generations of a merge.
pub type MergeKey = (u64, u64, bool, bool, [u32; 5]);

/// L0's own pages do not fit host RAM (the layout sized it, so a bug in the model).
fn layout_err(e: OutOfRange) -> LoadError {
    LoadError::L0(EmuError::outside_ram(PhysUse::L0Layout, e.0).to_string())
}

impl Kvm {
    /// L1 = `program` in the CONTRACT entry state with `mem_mib` MiB, under L0 of `design`.
    pub fn new(program: &[u8], mem_mib: u64, design: Design, config: L0Config) -> Result<Kvm, LoadError> {
        if !(2..=3072).contains(&mem_mib) {
            return Err(LoadError::BadMemSize(mem_mib));
        }
        let layout = Layout::new(mem_mib << 20);
        let mut m = Machine::with_model(program, layout.host_mem >> 20, SvmModel::Bare)?;
        // The machine laid out L1's RAM at host-physical 0 (L1 GPA = HPA); L0 owns the rest.
        layout.build_npt(&mut m.mem).map_err(layout_err)?;
        // The xAPIC page is L1's, as on `bare` (see `boot`).
        layout.map_apic(&mut m.mem).map_err(layout_err)?;
        m.cpu.pat = config.pat;
        Self::start(m, design, layout, config)
    }

    /// L0 around a machine whose CPU holds L1's entry state: vmcb01 from it, then into L1.
    fn start(m: Machine, design: Design, layout: Layout, config: L0Config) -> Result<Kvm, LoadError> {
        let mut k = Kvm {
            m,
            design,
            layout,
            config,
            pat: PatRegs::reset(),
            ctx: NestedCtx::default(),
            l1_gif: true,
            nested: None,
            last_vmcb12: None,
            shadow: ShadowNpt::default(),
            svme: [false, false],
            merged_maps: None,
            last_npf: (u64::MAX, 0, 0),
            io_pass: None,
        };
        k.init_vmcb01().map_err(|e| LoadError::L0(e.to_string()))?;
        k.enter(false).map_err(|e| LoadError::L0(e.to_string()))?;
        Ok(k)
    }

    /// A multiboot kernel (loader/) as L1: booted in the state its loader leaves, with L0's
    /// layout above its RAM. L0 maps the xAPIC page straight through to the machine's APIC (one
    /// processor, one APIC: L1 programs the real one, where KVM would emulate it); its UART and
    /// fw_cfg ports and the MSRs L0 does not intercept reach the machine's devices directly.
    pub fn boot(image: &crate::loader::BootImage, design: Design, config: L0Config) -> Result<Kvm, LoadError> {
        let mib = image.ram_bytes >> 20;
        if !(2..=3072).contains(&mib) {
            return Err(LoadError::BadMemSize(mib));
        }
        let layout = Layout::new(image.ram_bytes);
        let mut m = Machine::boot_in(image, SvmModel::Bare, layout.host_mem)?;
        layout.build_npt(&mut m.mem).map_err(layout_err)?;
        layout.map_apic(&mut m.mem).map_err(layout_err)?;
        m.cpu.pat = config.pat;
        Self::start(m, design, layout, config)
    }

    /// vmcb01: L1's CONTRACT entry state, KVM's intercepts for L1, NP with L0's NPT.
    fn init_vmcb01(&mut self) -> Result<(), EmuError> {
        let c = &self.m.cpu;
        let mut v = Vmcb::default();
        let s = &mut v.save;
        (s.es, s.cs, s.ss, s.ds) = (seg_to_vmcb(&c.es), seg_to_vmcb(&c.cs), seg_to_vmcb(&c.ss), seg_to_vmcb(&c.ds));
        s.gdtr.base = c.gdtr.base;
        s.gdtr.limit = c.gdtr.limit as u32;
        s.idtr.base = c.idtr.base;
        s.idtr.limit = c.idtr.limit as u32;
        (s.efer, s.cr0, s.cr3, s.cr4) = (c.ctl.efer | EFER_SVME, c.ctl.cr0, c.ctl.cr3, c.ctl.cr4);
        (s.dr6, s.dr7) = (c.ctl.dr[6], c.ctl.dr[7]);
        (s.rflags, s.rip, s.rsp, s.rax) = (c.regs.rflags, c.regs.rip, c.regs.gpr[4], c.regs.gpr[0]);
        s.g_pat = self.pat.vmcb01_gpat;
        let ctl = &mut v.control;
        let svm_insns = [I::VMRUN, I::VMMCALL, I::VMLOAD, I::VMSAVE, I::STGI, I::CLGI, I::SKINIT];
        for i in [I::HLT, I::INVLPGA, I::IOIO_PROT, I::MSR_PROT, I::SHUTDOWN].into_iter().chain(svm_insns) {
            set_intercept(ctl, i, true);
        }
        ctl.asid = 1;
        ctl.tlb_ctl = 1;
        ctl.iopm_base_pa = self.layout.iopm01;
        ctl.msrpm_base_pa = self.layout.msrpm01;
        ctl.set_np_enable(true);
        ctl.nested_cr3 = self.layout.npt_pml4;
        let mem = &mut self.m.mem;
        v.write_to(mem, Hpa(self.layout.vmcb01)).map_err(vmcb_write_err)?;
        let set_bits = |mem: &mut PhysMem, a: Hpa, bits: u8| {
            let old = mem.read_u8(a)?;
            mem.write_u8(a, old | bits)
        };
        let layout_err = |e: OutOfRange| EmuError::outside_ram(PhysUse::L0Layout, e.0);
        // L0 intercepts the PAT MSR (reference §3.2), EFER, and the CONTRACT device ports.
        for m in [msr::PAT, msr::EFER] {
            // Both lie in an MSRPM range (PAT in the first, EFER in the second); no bit otherwise.
            let Some(bit) = crate::svm::intercept::msrpm_bit(m) else { continue };
            set_bits(mem, Hpa(self.layout.msrpm01 + u64::from(bit / 8)), 3 << (bit % 8)).map_err(layout_err)?;
        }
        for port in [0xe9u64, 0xf4] {
            set_bits(mem, Hpa(self.layout.iopm01 + port / 8), 1 << (port % 8)).map_err(layout_err)?;
        }
        Ok(())
    }

    /// The level whose code the hardware runs now.
    pub fn level(&self) -> Level {
        if self.nested.is_some() { Level::L2 } else { Level::L1 }
    }

    /// The VMCB the hardware runs now: vmcb02 while L2 runs, else vmcb01.
    pub fn current_vmcb(&self) -> Hpa {
        Hpa(if self.nested.is_some() { self.layout.vmcb02 } else { self.layout.vmcb01 })
    }

    /// (Re-)enters the current guest: vmcb02 when `l2`, else vmcb01. An exit raised while the
    /// entry delivers EVENTINJ is handled at once (it happened before any guest instruction,
    /// within the step being completed).
    pub(crate) fn enter(&mut self, l2: bool) -> Result<(), EmuError> {
        let pa = Hpa(if l2 { self.layout.vmcb02 } else { self.layout.vmcb01 });
        let hp = if l2 {
            // vmcb12's V_INTR_MASKING masks L2's physical interrupts with L1's RFLAGS.IF (KVM's
            // HF_HIF_MASK): the interrupts of the APIC L0 passes through are L1's.
            let rflags = save_f::rflags.read(&self.m.mem, Hpa(self.layout.vmcb01)).map_err(vmcb_read_err)?;
            HostPaging { host_if: rflags & crate::cpu::regs::flags::IF != 0, ..L0_PAGING }
        } else {
            // L1's GIF is L0's (it intercepts STGI/CLGI); while it is clear, vGIF makes the
            // hardware hold L1's interrupts (APM 15.33).
            use crate::svm::vmcb::control::{V_GIF, V_GIF_ENABLE};
            let gif = self.l1_gif;
            let ic = self.vmcb_fields(self.layout.vmcb01, |p| control_f::int_ctl.get(p))?;
            let want = if gif { ic & !(V_GIF | V_GIF_ENABLE) } else { (ic & !V_GIF) | V_GIF_ENABLE };
            // Written only when it changes: a write makes the VMCB page new to the VMCB cache.
            if want != ic {
                self.edit_vmcb(self.layout.vmcb01, |p| control_f::int_ctl.set(p, want))?;
            }
            L0_PAGING
        };
        match self.m.enter_guest(pa, hp)? {
            GuestEntry::Running | GuestEntry::Stopped(_) => Ok(()),
            GuestEntry::Exited(x) => self.handle_exit(x).map(|_| ()),
            GuestEntry::Invalid(c) => {
                Err(L0Failure::BadVmcb { check: c.name, section: c.apm_section, detail: c.detail }.into())
            }
        }
    }

    pub(crate) fn read_vmcb(&mut self, pa: u64) -> Result<Vmcb, EmuError> {
        self.m.read_vmcb(Hpa(pa)).map_err(vmcb_read_err)
    }

    /// `read_vmcb` without touching the VMCB cache (for views of a shared machine).
    pub(crate) fn peek_vmcb(&self, pa: u64) -> Result<Vmcb, EmuError> {
        Vmcb::read_from(&self.m.mem, Hpa(pa)).map_err(vmcb_read_err)
    }

    pub(crate) fn write_vmcb(&mut self, pa: u64, v: &Vmcb) -> Result<(), EmuError> {
        self.m.write_vmcb(Hpa(pa), v).map_err(vmcb_write_err)
    }

    /// Reads fields of the VMCB page at `pa` in place (`get` picks them with `save_f`/`control_f`).
    pub(crate) fn vmcb_fields<R>(&self, pa: u64, get: impl FnOnce(&[u8; 4096]) -> R) -> Result<R, EmuError> {
        let page = self.m.mem.page(Hpa(pa)).map_err(vmcb_read_err)?;
        Ok(get(page))
    }

    /// Writes fields of the VMCB page at `pa` in place.
    pub(crate) fn edit_vmcb<R>(&mut self, pa: u64, set: impl FnOnce(&mut [u8; 4096]) -> R) -> Result<R, EmuError> {
        let page =
            self.m.mem.page_for_write(Hpa(pa)).map_err(vmcb_write_err)?;
        Ok(set(page))
    }

    pub(crate) fn event(&mut self, kind: EventKind, from: Level, to: Level, code: u64, rip: u64, detail: impl Into<Detail>) {
        let detail = Some(detail.into());
        // Exits are handled before their step is counted: the event belongs to the step in progress.
        let step = self.m.steps + 1;
        self.m.events.push(Event { kind, from, to, exit_code: code, step, rip, detail });
    }

    /// One step: the hardware executes one instruction of L1 or L2; an exit goes to L0.
    pub fn step(&mut self) -> Result<StepOutcome, EmuError> {
        // One step of the hardware (an instruction, an event, or a halted wait): `Budget`
        // means that step is done.
        let out = match self.m.step_guest()? {
            GuestRun::Exited(x) => {
                self.exit(x)?;
                match &self.m.stopped {
                    Some(s) => StepOutcome::Stopped(s.clone()),
                    None => StepOutcome::Retired,
                }
            }
            GuestRun::Stopped(s) => StepOutcome::Stopped(s),
            GuestRun::Budget => StepOutcome::Retired,
        };
        self.shadow.settle(&mut self.m.p.mem, &self.layout, self.m.p.steps)?;
        self.check_unbacked()?;
        Ok(out)
    }

    /// Runs until a stop or `max_steps` total steps: the hardware runs the guest until it exits,
    /// L0 handles the exit, and so on. While a write-protected page of L1's NPT is exempt
    /// (shadow_npt.rs) the guest runs one step at a time, so that the shadow is zapped right after
    /// the write retires. L0 exits that retire nothing are bounded: more than
    /// [`MAX_EXITS_WITHOUT_RETIRE`] in a row is a named emulator error (an L0 that makes no
    /// progress is a bug of the model, never a hang).
    pub fn run(&mut self, max_steps: u64) -> Result<RunEnd, EmuError> {
        let mut idle = 0u32;
        loop {
            let before = self.m.steps;
            let budget = if self.shadow.exempt.is_some() { max_steps.min(before + 1) } else { max_steps };
            let r = self.m.run_guest(budget)?;
            if let GuestRun::Exited(x) = r {
                self.exit(x)?;
            }
            self.shadow.settle(&mut self.m.p.mem, &self.layout, self.m.p.steps)?;
            self.check_unbacked()?;
            if let Some(s) = &self.m.stopped {
                return Ok(RunEnd::Stopped(s.clone()));
            }
            match r {
                GuestRun::Stopped(s) => return Ok(RunEnd::Stopped(s)),
                GuestRun::Budget if self.m.steps >= max_steps => return Ok(RunEnd::Budget),
                _ => {}
            }
            idle = if self.m.steps == before { idle + 1 } else { 0 };
            if idle > MAX_EXITS_WITHOUT_RETIRE {
                return Err(L0Failure::NoProgress {
                    exits: MAX_EXITS_WITHOUT_RETIRE,
                    step: self.m.steps,
                    level: self.level().name(),
                    rip: self.m.cpu.regs.rip,
                }
                .into());
            }
        }
    }

    /// A guest wrote outside L1's RAM through the zero page L0 maps for page-table walks there
    /// (layout.rs `map_unbacked`): the emulator error `bare` gives for that write.
    fn check_unbacked(&self) -> Result<(), EmuError> {
        match self.layout.unbacked_written(&self.m.mem) {
            Some(_) => Err(L0Failure::GpaOutsideL1 { gpa: self.layout.l1_mem, l1_mib: self.layout.l1_mem >> 20 }.into()),
            None => Ok(()),
        }
    }

    /// L0 takes a #VMEXIT of its guest. The exiting instruction (or event) is a retired step of
    /// L1/L2 unless L0 handled the exit entirely by itself (`Handled::Invisible`).
    fn exit(&mut self, x: VmExit) -> Result<(), EmuError> {
        let mut x = x;
        loop {
            if self.handle_exit(x)? == Handled::Retired {
                self.m.steps += 1;
            }
            if self.io_pass.is_none() {
                return Ok(());
            }
            // A string I/O instruction L0 completes by letting the hardware run it once with
            // the port passed through (emulate.rs `pass_string_io`); then the IOPM is restored
            // and whatever that step exited with is handled in turn.
            let r = self.m.run_guest(self.m.steps + 1);
            self.end_string_io()?;
            match r? {
                GuestRun::Exited(next) => x = next,
                GuestRun::Stopped(_) | GuestRun::Budget => return Ok(()),
            }
        }
    }

    /// Dispatches a hardware #VMEXIT to L0.
    fn handle_exit(&mut self, x: VmExit) -> Result<Handled, EmuError> {
        let from = self.level();
        let vmcb = self.current_vmcb();
        // Save-area RIP (reference §1.3) for the event; the handlers read what they need.
        let rip = save_f::rip.read(&self.m.mem, vmcb).map_err(vmcb_read_err)?;
        self.event(EventKind::Vmexit, from, Level::L0, x.code.0, rip, Detail::Name(x.code.name()));
        if x.code == SvmExitCode::NPF {
            return self.l0_npf(x, from == Level::L2);
        }
        if from == Level::L2 { self.l2_exit(x)? } else { self.l1_exit(x)? }
        // A string I/O instruction about to run with its port passed through has not retired.
        if self.io_pass.is_some() {
            return Ok(Handled::Invisible);
        }
        Ok(Handled::Retired)
    }

    /// Exits of L1 (vmcb01).
    fn l1_exit(&mut self, x: VmExit) -> Result<(), EmuError> {
        if x.code == SvmExitCode::VMRUN {
            return self.emulate_vmrun(x.next_rip);
        }
        let mut v = self.read_vmcb(self.layout.vmcb01)?;
        match x.code {
            SvmExitCode::VMLOAD | SvmExitCode::VMSAVE => {
                if let Some(f) = self.svm_insn_fault(&v.save) {
                    return self.inject_and_enter(f, false);
                }
                // rAX at the instruction's address size (l1_fetch.rs: L0 decodes it).
                let pa = self.l1_svm_insn_rax(v.save.rax);
                // Unaligned, beyond MAXPHYADDR or without L1 RAM: #GP(0) (APM vol.3 VMLOAD/VMSAVE;
                // KVM: page_address_valid, then kvm_vcpu_map).
                let vmcb = self.layout.l1_page_to_host(Gpa(pa)).filter(|_| pa & 0xfff == 0);
                let Some(vmcb) = vmcb else {
                    return self.inject_and_enter(Fault::gp0(), false);
                };
                self.m
                    .vmload_vmsave_at(vmcb, x.code == SvmExitCode::VMSAVE)
                    .map_err(|t| match t {
                        crate::outcome::Trap::Emu(e) => *e,
                        _ => EmuError::outside_ram(PhysUse::VmloadVmsave, vmcb),
                    })?;
            }
            SvmExitCode::STGI | SvmExitCode::CLGI => {
                if let Some(f) = self.svm_insn_fault(&v.save) {
                    return self.inject_and_enter(f, false);
                }
                self.l1_gif = x.code == SvmExitCode::STGI;
            }
            SvmExitCode::VMMCALL => v.save.rax = KVM_ENOSYS,
            SvmExitCode::INVLPGA => {
                if let Some(f) = self.svm_insn_fault(&v.save) {
                    return self.inject_and_enter(f, false);
                }
            }
            SvmExitCode::SKINIT => return self.inject_and_enter(Fault::ud(), false),
            SvmExitCode::HLT => {
                v.save.rip = x.next_rip;
                self.write_vmcb(self.layout.vmcb01, &v)?;
                self.m.cpu.regs.rip = x.next_rip;
                // L1 waits for an interrupt (KVM: kvm_vcpu_halt): the hardware halts in L1 and
                // takes it there; with none that could come, the run ends (CONTRACT §1 "halt").
                if !self.l0_halt(v.save.rip) {
                    self.m.stopped = Some(Stop::Halt);
                    return Ok(());
                }
                return self.enter(false);
            }
            SvmExitCode::SHUTDOWN => {
                self.m.stopped = Some(Stop::Shutdown(format!("L1 shut down (triple fault) at rip {:#x}", v.save.rip)));
                return Ok(());
            }
            SvmExitCode::MSR => {
                if let Some(f) = self.msr_exit(&mut v.save, x.info1 != 0)? {
                    return self.inject_and_enter(f, false);
                }
            }
            SvmExitCode::IOIO if IoioInfo::decode(x.info1).is_some_and(|io| io.string) => {
                return self.pass_string_io(x, false);
            }
            SvmExitCode::IOIO => self.device_io(&mut v.save, x)?,
            other => {
                return Err(L0Failure::UnexpectedExit { name: other.name(), from_l2: false }.into());
            }
        }
        v.save.rip = x.next_rip;
        self.write_vmcb(self.layout.vmcb01, &v)?;
        self.enter(false)
    }

    /// A HLT L0 emulates for its guest: the processor halts (in the guest, once re-entered) when
    /// an interrupt can end the wait (cpu/interrupts.rs); `false` when none can.
    pub(crate) fn l0_halt(&mut self, hlt_rip: u64) -> bool {
        matches!(self.m.p.halt(hlt_rip), crate::cpu::exec::Flow::Next)
    }

    /// #UD/#GP checks of an SVM instruction executed by L1 (KVM: EFER.SVME and paging, then CPL).
    pub(crate) fn svm_insn_fault(&self, s: &VmcbSave) -> Option<Fault> {
        self.svm_insn_fault_at(s.cr0, s.cpl)
    }

    /// `svm_insn_fault` from L1's CR0 and CPL.
    pub(crate) fn svm_insn_fault_at(&self, cr0: u64, cpl: u8) -> Option<Fault> {
        if !self.svme[0] || cr0 & (1 << 31) == 0 {
            Some(Fault::ud())
        } else if cpl != 0 {
            Some(Fault::gp0())
        } else {
            None
        }
    }

    /// Injects an exception into the current guest (EVENTINJ) and re-enters it; the guest state in
    /// its VMCB is the one of the faulting instruction. For L2, an exception vmcb12 intercepts
    /// becomes a #VMEXIT to L1 instead (`nested_svm_inject_exception_vmexit`, reference §2.4):
    /// exit code 0x40 + vector, EXITINFO1 = the error code.
    pub(crate) fn inject_and_enter(&mut self, f: Fault, l2: bool) -> Result<(), EmuError> {
        if l2 && self.nested.as_ref().is_some_and(|n| crate::svm::is_intercepted(&n.ctrl, I::exception(f.vector))) {
            let x = VmExit {
                code: SvmExitCode::exception(f.vector),
                info1: f.error_code.unwrap_or(0) as u64,
                info2: 0,
                int_info: 0,
                next_rip: 0,
            };
            return self.reflect(x);
        }
        let e = EventInj { valid: true, vector: f.vector, ty: EventType::Exception, error_code: f.error_code }.encode();
        let pa = if l2 { self.layout.vmcb02 } else { self.layout.vmcb01 };
        #[allow(clippy::cast_possible_truncation, reason = "EVENTINJ: the event in bits 31:0, its error code in bits 63:32")]
        let (inj, inj_err) = (e as u32, (e >> 32) as u32);
        self.edit_vmcb(pa, |p| {
            control_f::event_inj.set(p, inj);
            control_f::event_inj_err.set(p, inj_err);
        })?;
        self.enter(l2)
    }
}

impl Kvm {
    /// L1's registers: the CPU's, with RAX, RSP, RIP and RFLAGS from vmcb01 while L2 runs (the
    /// other GPRs are shared with L2, as on hardware).
    pub fn l1_regs(&self) -> crate::cpu::Regs {
        let mut r = self.m.cpu.regs.clone();
        if self.nested.is_some()
            && let Ok(v) = self.peek_vmcb(self.layout.vmcb01)
        {
            (r.gpr[0], r.gpr[4], r.rip, r.rflags) = (v.save.rax, v.save.rsp, v.save.rip, v.save.rflags);
        }
        r
    }
}
