//! The machine: CPU + RAM + CONTRACT devices, the entry state of CONTRACT §1, and the run loop.
use crate::cpu::exec::{outcome_of, Flow};
use crate::cpu::fault::{EmuError, Fault, Trap};
use crate::cpu::{decode, Cpu};
use crate::mem::paging::{self, Access, PagingMode};
use crate::mem::{Gva, Hpa, PhysMem};
use crate::trace::Event;
use iced_x86::Instruction;

/// Physical load address of a program (CONTRACT §1).
pub const LOAD_ADDR: u64 = 0x100000;
/// Default RAM size in MiB (CONTRACT §1).
pub const DEFAULT_MEM_MIB: u64 = 64;

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// HLT by the outermost program.
    Halt,
    /// OUT 0xF4: the byte written.
    DebugExit(u8),
    /// Triple fault or an unrecoverable world-switch failure; the text says why.
    Shutdown(String),
}

impl Stop {
    /// The CONTRACT "exit" string.
    pub fn name(&self) -> &'static str {
        match self {
            Stop::Halt => "halt",
            Stop::DebugExit(_) => "debug-exit",
            Stop::Shutdown(_) => "shutdown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Retired,
    Stopped(Stop),
}

/// How a `run` ended: a stop, or the step budget spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    Stopped(Stop),
    Budget,
}

#[derive(Clone)]
pub struct Machine {
    pub cpu: Cpu,
    pub mem: PhysMem,
    /// Bytes written to port 0xE9.
    pub console: Vec<u8>,
    /// Retired instructions at any level since the program's start.
    pub steps: u64,
    pub stopped: Option<Stop>,
    pub events: Vec<Event>,
}

/// Errors setting up a machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    Empty,
    TooLarge { len: usize, room: u64 },
    BadMemSize(u64),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Empty => write!(f, "the program is empty"),
            LoadError::TooLarge { len, room } => {
                write!(f, "the program is {len} bytes but only {room} bytes of RAM lie above 0x100000")
            }
            LoadError::BadMemSize(m) => write!(f, "memory size {m} MiB is out of range (2..=4096)"),
        }
    }
}

impl Machine {
    /// A machine in the CONTRACT §1 entry state with `mem_mib` MiB of RAM and `program` at 0x100000.
    pub fn new(program: &[u8], mem_mib: u64) -> Result<Machine, LoadError> {
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
            events: Vec::new(),
        })
    }

    /// Translates a linear address for the current paging mode, raising #PF on failure.
    pub fn translate(&mut self, va: Gva, acc: Access) -> Result<Hpa, Trap> {
        if self.cpu.ctl.cr0 & crate::cpu::control::cr0::PG == 0 {
            return Ok(Hpa(va.0));
        }
        let mode = PagingMode {
            cr3: self.cpu.ctl.cr3,
            wp: self.cpu.ctl.cr0 & crate::cpu::control::cr0::WP != 0,
            nxe: self.cpu.ctl.efer & crate::cpu::control::efer::NXE != 0,
        };
        match paging::walk(&mut self.mem, mode, va, acc) {
            Ok(w) => Ok(w.phys),
            Err((code, _)) => Err(Fault::pf(code, va.0).into()),
        }
    }

    /// Fetches and decodes the instruction at RIP.
    pub fn fetch_decode(&mut self) -> Result<Instruction, Trap> {
        let rip = self.cpu.regs.rip;
        let mut buf = [0u8; 15];
        // Fetch what is on the first page; only touch the next page when the instruction needs it.
        let first = ((0x1000 - (rip & 0xfff)) as usize).min(15);
        let acc = Access { fetch: true, ..self.data_access(false) };
        self.read_lin_bytes(rip, &mut buf[..first], acc)?;
        if let Some(ins) = decode::decode64(&buf[..first], rip)
            && ins.len() <= first
        {
            return Ok(ins);
        }
        if first < 15 {
            self.read_lin_bytes(rip.wrapping_add(first as u64), &mut buf[first..], acc)?;
        }
        decode::decode64(&buf, rip).ok_or_else(|| Fault::ud().into())
    }

    /// Executes one instruction. Emulator errors are returned; architectural faults are delivered.
    pub fn step(&mut self) -> Result<StepOutcome, EmuError> {
        if let Some(s) = &self.stopped {
            return Ok(StepOutcome::Stopped(s.clone()));
        }
        let r = self.fetch_decode().and_then(|ins| {
            let flow = self.execute(&ins)?;
            self.cpu.regs.rip = match flow {
                Flow::Jump(t) => t,
                _ => ins.next_ip(),
            };
            Ok(flow)
        });
        let out = match r {
            Ok(flow) => {
                self.steps += 1;
                outcome_of(flow)
            }
            Err(Trap::Emu(e)) => return Err(e),
            Err(Trap::Fault(f)) => self.deliver_fault(f),
        };
        if let StepOutcome::Stopped(s) = &out {
            self.stopped = Some(s.clone());
        }
        Ok(out)
    }

    /// Delivers an exception through the IDT. With no usable IDT entry the fault escalates to
    /// #DF and then to shutdown (triple fault).
    fn deliver_fault(&mut self, f: Fault) -> StepOutcome {
        if let Some(cr2) = f.cr2 {
            self.cpu.ctl.cr2 = cr2;
        }
        let limit = self.cpu.idtr.limit as u64;
        if (f.vector as u64) * 16 + 15 > limit {
            return StepOutcome::Stopped(Stop::Shutdown(format!(
                "triple fault: {f} at rip {:#x} with no IDT entry for it",
                self.cpu.regs.rip
            )));
        }
        StepOutcome::Stopped(Stop::Shutdown(format!("exception delivery through the IDT is not implemented yet ({f})")))
    }

    /// Runs until a stop or until `max_steps` total steps (counted from the program's start).
    pub fn run(&mut self, max_steps: u64) -> Result<RunEnd, EmuError> {
        while self.steps < max_steps {
            if let StepOutcome::Stopped(s) = self.step()? {
                return Ok(RunEnd::Stopped(s));
            }
        }
        match &self.stopped {
            Some(s) => Ok(RunEnd::Stopped(s.clone())),
            None => Ok(RunEnd::Budget),
        }
    }
}
