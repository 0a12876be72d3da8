//! The machine: CPU + RAM + CONTRACT devices, the entry state of CONTRACT §1, and the run loop.
//!
//! Hooks for the SVM layer (all in this crate's CPU code):
//! - exceptions: every delivery goes through `Machine::deliver_exception`, which first asks
//!   `Machine::route_exception` (cpu/exec/interrupt.rs) whether the exception is intercepted;
//! - instructions: interceptable instructions always run through `Machine::execute` (the
//!   pre-decoded fast forms in cpu/exec/fast.rs never include one), so an intercept check at the
//!   top of `execute` sees them all; MSR, CR, I/O and CPUID semantics are `rdmsr`/`wrmsr`,
//!   `write_cr`, `port_out`, `cpuid::cpuid`;
//! - translation: `translate` → `translate_slow` → `paging::walk`; nested paging plugs in there
//!   with `paging::walk_with` and a `WalkEnv` that walks the nested table. Call `tlb_world_switch`
//!   on every world switch (it also drops the code-page cache) and `flush_tlb` whenever what
//!   linear addresses mean changes behind the CPU's back;
//! - steps: one per retired instruction, per REP chunk (`string::REP_CHUNK` iterations) and per
//!   exception delivered (so that a faulting loop still spends the budget).
use crate::cpu::exec::{outcome_of, Flow};
use crate::outcome::{EmuError, Fault, PhysUse, Stepped, Trap, Undelivered};
use crate::cpu::exec::fast::Fast;
use crate::cpu::icache::DecodeCache;
use crate::cpu::tlb::{perm, Tlb, TlbContext};
use crate::cpu::{decode, Cpu};
use crate::mem::paging::{self, Access, PagingMode};
use crate::mem::{Gva, Hpa, PhysMem};
use crate::svm::{SvmModel, SvmState};
use crate::trace::Level;
use iced_x86::Instruction;

/// Physical load address of a program (CONTRACT §1).
pub const LOAD_ADDR: u64 = 0x100000;
/// Default RAM size in MiB (CONTRACT §1).
pub const DEFAULT_MEM_MIB: u64 = 64;

pub use crate::outcome::{GuestRun, RunEnd, StepOutcome, Stop};

#[derive(Clone)]
pub struct Machine {
    pub cpu: Cpu,
    pub mem: PhysMem,
    /// Bytes written to port 0xE9.
    pub console: Vec<u8>,
    /// Retired instructions at any level since the program's start.
    pub steps: u64,
    pub stopped: Option<Stop>,
    /// World switches at every level (the first and last ones kept, all counted: trace/log.rs).
    pub events: crate::trace::EventLog,
    /// Linear → physical translations (not architectural state; rebuilt on demand).
    pub tlb: Tlb,
    /// Decoded instructions by (RIP, physical address) (not architectural state).
    pub icache: DecodeCache,
    /// The last code page: (linear page | user << 1 | 1, physical page); cleared with the TLB.
    fetch_tag: u64,
    fetch_page: u64,
    /// SVM state: model, GIF, and the guest being run (svm/state.rs).
    pub svm: SvmState,
    /// Parsed VMCBs (svm/vmcb/cache.rs).
    pub vmcb_cache: crate::svm::vmcb::cache::VmcbCache,
}

/// Errors setting up a machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    Empty,
    TooLarge { len: usize, room: u64 },
    BadMemSize(u64),
    /// The L0 model could not start its guest (a bug in the model).
    L0(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Empty => write!(f, "the program is empty"),
            LoadError::TooLarge { len, room } => {
                write!(f, "the program is {len} bytes but only {room} bytes of RAM lie above 0x100000")
            }
            LoadError::BadMemSize(m) => write!(f, "memory size {m} MiB is out of range (2..=4096; 2..=3072 under a kvm-* model)"),
            LoadError::L0(e) => write!(f, "{e}"),
        }
    }
}

impl Machine {
    /// A machine in the CONTRACT §1 entry state with `mem_mib` MiB of RAM and `program` at 0x100000,
    /// on the `bare` hardware model.
    pub fn new(program: &[u8], mem_mib: u64) -> Result<Machine, LoadError> {
        Self::with_model(program, mem_mib, SvmModel::Bare)
    }

    /// [`Machine::new`] on a chosen SVM hardware model (`bare`, `bare-swap`, `bare-qemu`).
    pub fn with_model(program: &[u8], mem_mib: u64, model: SvmModel) -> Result<Machine, LoadError> {
        if !(2..=4096).contains(&mem_mib) {
            return Err(LoadError::BadMemSize(mem_mib));
        }
        if program.is_empty() {
            return Err(LoadError::Empty);
        }
        let size = mem_mib << 20;
        let room = size.saturating_sub(LOAD_ADDR);
        if program.len() as u64 > room {
            return Err(LoadError::TooLarge { len: program.len(), room });
        }
        let mut mem = PhysMem::new(size);
        // GDT at 0x1000: null, 64-bit code, flat data.
        let w = |m: &mut PhysMem, a: u64, v: u64| m.write_u64(Hpa(a), v).expect("layout inside RAM");
        w(&mut mem, 0x1000, 0);
        w(&mut mem, 0x1008, 0x00AF_9B00_0000_FFFF);
        w(&mut mem, 0x1010, 0x00CF_9300_0000_FFFF);
        // PML4 at 0x2000 -> PDPT at 0x3000 with four 1 GiB identity pages (P RW, supervisor, PAT index 0).
        w(&mut mem, 0x2000, 0x3000 | 0x3);
        for i in 0..4u64 {
            w(&mut mem, 0x3000 + i * 8, (i << 30) | 0x83);
        }
        mem.write(Hpa(LOAD_ADDR), program).expect("checked above");
        Ok(Machine {
            cpu: Cpu::contract_entry(),
            mem,
            console: Vec::new(),
            steps: 0,
            stopped: None,
            events: Default::default(),
            tlb: Tlb::default(),
            icache: DecodeCache::default(),
            fetch_tag: 0,
            fetch_page: 0,
            svm: SvmState::new(model),
            vmcb_cache: Default::default(),
        })
    }

    /// The level of the code the CPU is executing: L1 (the program) or L2 (a guest it runs).
    pub fn level(&self) -> Level {
        self.svm.level()
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

    /// The paging inputs of the current mode.
    pub fn paging_mode(&self) -> PagingMode {
        PagingMode {
            cr3: self.cpu.ctl.cr3,
            wp: self.cpu.ctl.cr0 & crate::cpu::control::cr0::WP != 0,
            nxe: self.cpu.ctl.efer & crate::cpu::control::efer::NXE != 0,
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
            return self.translate_nested(la, acc);
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
                self.tlb.insert(la, w.phys.0, p);
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
            return self.mem.read_small(pa, size).map_err(|e| {
                Trap::from(EmuError::outside_ram(PhysUse::Read, e.0))
            });
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
            return self.mem.write_small(pa, size, val).map_err(|e| {
                Trap::from(EmuError::outside_ram(PhysUse::Write, e.0))
            });
        }
        let bytes = val.to_le_bytes();
        self.write_lin_bytes(la, &bytes[..size as usize], acc)
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
                self.icache.insert(rip, pa.0, generation, &ins);
            }
            return Ok(ins);
        }
        if first < 15 {
            self.read_lin_bytes(rip.wrapping_add(first as u64), &mut buf[first..], acc)?;
        }
        decode::decode64(&buf, rip).ok_or_else(|| Fault::ud().into())
    }

    /// Executes one instruction. Emulator errors are returned; architectural faults are delivered.
    ///
    /// Steps: a retired instruction is one step; a REP string chunk that leaves RIP at the
    /// instruction is one step; an exception delivered to a handler (or ending in shutdown) is
    /// one step too, so that a faulting loop still spends the budget.
    ///
    /// For a machine whose guest was entered from outside (`enter_guest`), use `run_guest`: here
    /// the guest's exit has no taker and is an emulator error.
    pub fn step(&mut self) -> Result<StepOutcome, EmuError> {
        if let Some(s) = &self.stopped {
            return Ok(StepOutcome::Stopped(s.clone()));
        }
        let r = self.fetch_execute();
        match self.account(r)? {
            Stepped::Retired => Ok(StepOutcome::Retired),
            Stepped::Stopped(s) => Ok(StepOutcome::Stopped(s)),
            Stepped::Exited(x) => Err(EmuError::UnclaimedExit(x.code)),
        }
    }

    /// Turns the result of one instruction into a step outcome and counts the step (an exit
    /// handed to whoever entered the guest from outside is not counted: that caller decides).
    #[inline]
    fn account(&mut self, r: Result<Flow, Trap>) -> Result<Stepped, EmuError> {
        let out = match r {
            Ok(flow) => match outcome_of(flow) {
                StepOutcome::Retired => Stepped::Retired,
                StepOutcome::Stopped(s) => Stepped::Stopped(s),
            },
            Err(Trap::Emu(e)) => return Err(*e),
            Err(Trap::Fault(f)) => self.deliver_fault(f)?,
            // SVM: an intercepted guest instruction or a nested page fault (svm/vmexit.rs).
            Err(Trap::Exit(x)) => self.vmexit(x)?,
        };
        match &out {
            Stepped::Retired => self.steps += 1,
            Stepped::Stopped(s) => {
                self.steps += 1;
                self.stopped = Some(s.clone());
            }
            Stepped::Exited(_) => {}
        }
        Ok(out)
    }

    /// #VMEXIT from the running guest: back to the host program after its VMRUN (`Retired`), or
    /// the exit as a value for whoever entered the guest from outside (`Exited`).
    pub(crate) fn vmexit(&mut self, x: crate::outcome::VmExit) -> Result<Stepped, EmuError> {
        Ok(match self.svm_vmexit(x)? {
            Some(x) => Stepped::Exited(x),
            None => Stepped::Retired,
        })
    }

    /// Fetches (through the decode cache), executes, and moves RIP on.
    #[inline]
    fn fetch_execute(&mut self) -> Result<Flow, Trap> {
        let rip = self.cpu.regs.rip;
        let acc = Access { fetch: true, ..self.data_access(false) };
        let tag = (rip & !0xfff) | ((acc.user as u64) << 1) | 1;
        let pa = if self.fetch_tag == tag {
            Hpa(self.fetch_page | (rip & 0xfff))
        } else {
            let pa = self.translate(Gva(rip), acc)?;
            self.fetch_tag = tag;
            self.fetch_page = pa.0 & !0xfff;
            pa
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

    /// Delivers an exception through the IDT; when that is impossible even for #DF the machine
    /// shuts down (triple fault). An emulator error during the delivery is returned as such.
    pub(crate) fn deliver_fault(&mut self, f: Fault) -> Result<Stepped, EmuError> {
        match self.deliver_exception(f) {
            Ok(()) => Ok(Stepped::Retired),
            Err(Undelivered::Exit(x)) => self.vmexit(x),
            Err(Undelivered::Emu(e)) => Err(e),
            Err(Undelivered::TripleFault(why)) => match self.svm.in_guest().then(|| self.svm_shutdown_hook()).flatten() {
                // SVM hook: a triple fault in a guest with the SHUTDOWN intercept is #VMEXIT(SHUTDOWN).
                Some(x) => self.vmexit(x),
                None => Ok(Stepped::Stopped(Stop::Shutdown(why))),
            },
        }
    }

    /// Runs until a stop or until `max_steps` total steps (counted from the program's start).
    /// For a machine whose guest was entered from outside, use `run_guest`: here its exit has no
    /// taker and is an emulator error.
    pub fn run(&mut self, max_steps: u64) -> Result<RunEnd, EmuError> {
        match self.run_guest(max_steps)? {
            GuestRun::Stopped(s) => Ok(RunEnd::Stopped(s)),
            GuestRun::Budget => Ok(RunEnd::Budget),
            GuestRun::Exited(x) => Err(EmuError::UnclaimedExit(x.code)),
        }
    }

    /// Runs until a stop, `max_steps` total steps, or the #VMEXIT of a guest entered with
    /// `enter_guest` (returned as a value and not counted as a step: kvm-ioctls' `run()` shape).
    #[inline]
    pub fn run_guest(&mut self, max_steps: u64) -> Result<GuestRun, EmuError> {
        if let Some(s) = &self.stopped {
            return Ok(GuestRun::Stopped(s.clone()));
        }
        while self.steps < max_steps {
            let r = self.fetch_execute();
            if let Ok(Flow::Next | Flow::Jump(_) | Flow::Repeat) = r {
                self.steps += 1;
                continue;
            }
            match self.account(r)? {
                Stepped::Retired => {}
                Stepped::Stopped(s) => return Ok(GuestRun::Stopped(s)),
                Stepped::Exited(x) => return Ok(GuestRun::Exited(x)),
            }
        }
        match &self.stopped {
            Some(s) => Ok(GuestRun::Stopped(s.clone())),
            None => Ok(GuestRun::Budget),
        }
    }
}
