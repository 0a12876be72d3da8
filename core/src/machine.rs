//! The machine: a processor with the SVM extension (cpu/processor.rs + svm/), RAM and the
//! CONTRACT devices in the CONTRACT §1 entry state — and stepping and running, nothing else.
//!
//! `Machine` derefs to its [`Processor`]: its state (`cpu`, `mem`, `console`, `steps`, `svm`…)
//! and the processor's and SVM's methods are reached through it.
#![warn(missing_docs)]
use crate::cpu::exec::Flow;
use crate::cpu::interrupts::Between;
use crate::cpu::processor::Processor;
use crate::cpu::Cpu;
use crate::mem::{Hpa, PhysMem};
use crate::outcome::{EmuError, Stepped, Trap};
use crate::svm::{GuestEntry, HostPaging, SvmModel, SvmState};
use crate::trace::Level;

/// Physical load address of a program (CONTRACT §1).
pub const LOAD_ADDR: u64 = 0x100000;
/// Default RAM size in MiB (CONTRACT §1).
pub const DEFAULT_MEM_MIB: u64 = 64;

pub use crate::outcome::{GuestRun, RunEnd, StepOutcome, Stop};

#[derive(Clone)]
/// A machine under a hardware model: the processor (with RAM, devices and SVM state) and why it stopped.
pub struct Machine {
    /// The processor with its RAM, devices and SVM state.
    pub p: Processor<SvmState>,
    /// Why the machine stopped, once it has.
    pub stopped: Option<Stop>,
}

impl std::ops::Deref for Machine {
    type Target = Processor<SvmState>;
    #[inline]
    fn deref(&self) -> &Processor<SvmState> {
        &self.p
    }
}

impl std::ops::DerefMut for Machine {
    #[inline]
    fn deref_mut(&mut self) -> &mut Processor<SvmState> {
        &mut self.p
    }
}

/// Errors setting up a machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The program has no bytes.
    Empty,
    /// The program does not fit between the load address and the end of RAM.
    TooLarge {
        /// The program's size in bytes.
        len: usize,
        /// Bytes of RAM from the load address on.
        room: u64,
    },
    /// A RAM size (MiB) outside what the model accepts.
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
        // Fails only if RAM ends below the entry tables (it is at least 2 MiB, checked above).
        let w = |m: &mut PhysMem, a: u64, v: u64| m.write_u64(Hpa(a), v).map_err(|_| LoadError::BadMemSize(mem_mib));
        w(&mut mem, 0x1000, 0)?;
        w(&mut mem, 0x1008, 0x00AF_9B00_0000_FFFF)?;
        w(&mut mem, 0x1010, 0x00CF_9300_0000_FFFF)?;
        // PML4 at 0x2000 -> PDPT at 0x3000 with four 1 GiB identity pages (P RW, supervisor, PAT index 0).
        w(&mut mem, 0x2000, 0x3000 | 0x3)?;
        for i in 0..4u64 {
            w(&mut mem, 0x3000 + i * 8, (i << 30) | 0x83)?;
        }
        mem.write(Hpa(LOAD_ADDR), program).map_err(|_| LoadError::TooLarge { len: program.len(), room })?;
        Ok(Machine { p: Processor::new(Cpu::contract_entry(), mem, SvmState::new(model)), stopped: None })
    }

    /// A machine on hardware model `model` in the state a multiboot v1 loader leaves (loader/):
    /// the kernel's segments in RAM (the BSS is fresh RAM, so zero), the multiboot information,
    /// 32-bit protected mode with paging off and the registers the loader states, and a QEMU
    /// fw_cfg device reporting the RAM size and one CPU (devices/fw_cfg.rs).
    pub fn boot(image: &crate::loader::BootImage, model: SvmModel) -> Result<Machine, LoadError> {
        Self::boot_in(image, model, image.ram_bytes)
    }

    /// [`Machine::boot`] with `host_ram` bytes of RAM, more than the kernel's (the L0 model keeps
    /// its own structures above the kernel's RAM); fw_cfg reports the kernel's RAM.
    pub(crate) fn boot_in(image: &crate::loader::BootImage, model: SvmModel, host_ram: u64) -> Result<Machine, LoadError> {
        use crate::cpu::{DescTable, Segment};
        let mib = host_ram >> 20;
        if !(2..=4096).contains(&mib) || host_ram & 0xf_ffff != 0 || host_ram < image.ram_bytes {
            return Err(LoadError::BadMemSize(mib));
        }
        let mut mem = PhysMem::new(host_ram);
        for (addr, bytes) in &image.chunks {
            mem.write(Hpa(*addr), bytes)
                .map_err(|_| LoadError::TooLarge { len: bytes.len(), room: image.ram_bytes.saturating_sub(*addr) })?;
        }
        // `image.zero` (the BSS) lies in RAM the loader checked, and fresh RAM reads as zero.
        let e = &image.entry;
        let seg = |s: &crate::loader::SegmentState| Segment { selector: s.selector, base: s.base, limit: s.limit, attrib: s.attrib };
        let mut cpu = Cpu::contract_entry();
        cpu.regs.gpr = [0; 16];
        cpu.regs.gpr[0] = e.eax as u64;
        cpu.regs.gpr[3] = e.ebx as u64;
        cpu.regs.gpr[4] = e.esp as u64;
        cpu.regs.rip = e.eip as u64;
        cpu.regs.rflags = e.eflags as u64;
        (cpu.cs, cpu.ds, cpu.es, cpu.fs, cpu.gs, cpu.ss) = (seg(&e.cs), seg(&e.ds), seg(&e.es), seg(&e.fs), seg(&e.gs), seg(&e.ss));
        cpu.gdtr = DescTable { base: e.gdtr.0, limit: e.gdtr.1 };
        cpu.idtr = DescTable { base: e.idtr.0, limit: e.idtr.1 };
        (cpu.ctl.cr0, cpu.ctl.cr3, cpu.ctl.cr4, cpu.ctl.efer) = (e.cr0 as u64, e.cr3 as u64, e.cr4 as u64, e.efer);
        let mut p = Processor::new(cpu, mem, SvmState::new(model));
        let fw = crate::devices::fw_cfg::FwCfgConfig { ram_bytes: image.ram_bytes, nb_cpus: 1, max_cpus: 1 };
        p.devices.fw_cfg = Some(crate::devices::fw_cfg::FwCfg::new(fw));
        Ok(Machine { p, stopped: None })
    }

    /// The level of the code the CPU is executing: L1 (the program) or L2 (a guest it runs).
    pub fn level(&self) -> Level {
        self.svm.level()
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
        match self.step_guest()? {
            GuestRun::Budget => Ok(StepOutcome::Retired),
            GuestRun::Stopped(s) => Ok(StepOutcome::Stopped(s)),
            GuestRun::Exited(x) => Err(EmuError::UnclaimedExit(x.code)),
        }
    }

    /// One step of a machine whose guest may have been entered from outside: an instruction, an
    /// external event taken between instructions, or — halted — the wait until the timer's next
    /// expiry (time passes, no instruction retires). `Budget`: the step is done; `Exited`: the
    /// guest's #VMEXIT for whoever entered it (not counted).
    pub fn step_guest(&mut self) -> Result<GuestRun, EmuError> {
        if let Some(s) = &self.stopped {
            return Ok(GuestRun::Stopped(s.clone()));
        }
        self.p.step_limit = 0;
        let r = if self.p.event_check {
            match self.p.take_event() {
                Between::Nothing => self.p.fetch_execute(),
                Between::Idle => return Ok(GuestRun::Budget),
                Between::Step(r) => r,
            }
        } else {
            self.p.fetch_execute()
        };
        Ok(match self.account(r)? {
            Stepped::Retired => GuestRun::Budget,
            Stepped::Stopped(s) => GuestRun::Stopped(s),
            Stepped::Exited(x) => GuestRun::Exited(x),
        })
    }

    /// Turns the result of one instruction into a step outcome and counts the step (an exit
    /// handed to whoever entered the guest from outside is not counted: that caller decides).
    #[inline]
    fn account(&mut self, r: Result<Flow, Trap>) -> Result<Stepped, EmuError> {
        let out = self.p.resolve(r)?;
        match &out {
            Stepped::Retired => self.p.steps += 1,
            Stepped::Stopped(s) => {
                self.p.steps += 1;
                self.stopped = Some(s.clone());
            }
            Stepped::Exited(_) => {}
        }
        Ok(out)
    }

    /// The host-neutral guest entry (svm/vmrun.rs `Processor::enter_guest`); a shutdown while
    /// delivering EVENTINJ stops the machine.
    pub fn enter_guest(&mut self, pa: Hpa, hp: HostPaging) -> Result<GuestEntry, EmuError> {
        let e = self.p.enter_guest(pa, hp)?;
        if let GuestEntry::Stopped(s) = &e {
            self.stopped = Some(s.clone());
        }
        Ok(e)
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
        self.p.step_limit = max_steps;
        while self.steps < max_steps {
            if self.p.event_check {
                match self.p.take_event() {
                    Between::Nothing => {}
                    Between::Idle => continue,
                    Between::Step(r) => {
                        match self.account(r)? {
                            Stepped::Retired => {}
                            Stepped::Stopped(s) => return Ok(GuestRun::Stopped(s)),
                            Stepped::Exited(x) => return Ok(GuestRun::Exited(x)),
                        }
                        continue;
                    }
                }
            }
            // Instructions until the budget, an event to look at, or one that did not simply
            // retire (cpu/run_fast.rs).
            let Some(r) = self.p.run_steps(max_steps) else { continue };
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
