//! Exit attribution: for each world switch of a step, what caused it (the MSR and direction, the
//! port and size, the #NPF address and error bits, decoded from EXITINFO1/2 and ECX), who handled
//! it (the hardware's #VMEXIT to L1 on `bare`; under `kvm-*` the hardware exit to L0, which handles
//! it itself or reflects it to L1) and which control bit decided: an intercept bit of the VMCB that
//! ran (APM 15.9), or its MSRPM/IOPM bit with the bit's address in the map (APM 15.11, 15.10.1).
//!
//! Computed from the step's events, the VMCB pages after the step and the permission maps in
//! memory (read through a byte reader), so it is a pure function of what the tracker sees.
use super::vmcb::PAGE;
use crate::mem::Hpa;
use crate::svm::exit_table::{Intercept, explain};
use crate::svm::intercept::{IoioInfo, msrpm_bit};
use crate::svm::npt::{NPF_GUEST_FINAL, NPF_GUEST_PAGE, NPF_ID, NPF_P, NPF_RSV, NPF_RW, NPF_US};
use crate::svm::vmcb::control_f;
use crate::svm::SvmExitCode;
use crate::trace::{Event, EventKind, Level};
use serde::Serialize;

/// What made the guest exit, decoded from the exit information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Cause {
    /// RDMSR (`write` false) or WRMSR of `msr` (ECX; EXITINFO1 0 = read, 1 = write, APM 15.11).
    Msr { msr: u32, write: bool },
    /// IN/OUT of `size` bytes at `port` (EXITINFO1, APM 15.10.2).
    Io { port: u16, size: u8, is_in: bool, string: bool, rep: bool },
    /// Nested page fault at guest-physical `gpa` (EXITINFO2) with error code `error` (EXITINFO1,
    /// APM 15.25.6).
    Npf { gpa: u64, error: u64 },
    /// Exception `vector` intercepted (EXITINFO1 = its error code, APM 15.12).
    Exception { vector: u8, error_code: u64 },
    /// A VMRUN of the VMCB at `vmcb`.
    Vmrun { vmcb: Option<u64> },
    /// Any other exit code, named by the exit table.
    Other,
    /// The exit information was overwritten by a later exit of the same step.
    Unknown,
}

impl Cause {
    /// "WRMSR 0xc0000080 (EFER)", "OUT port 0xe9, 1 byte", "#NPF at 0x410000: write, final GPA".
    pub fn describe(&self, code: u64) -> String {
        match self {
            Cause::Msr { msr, write } => {
                let name = crate::cpu::msr::name(*msr).map(|n| format!(" ({n})")).unwrap_or_default();
                format!("{} {msr:#x}{name}", if *write { "WRMSR" } else { "RDMSR" })
            }
            Cause::Io { port, size, is_in, string, rep } => {
                let op = match (*is_in, *string) {
                    (true, false) => "IN",
                    (false, false) => "OUT",
                    (true, true) => "INS",
                    (false, true) => "OUTS",
                };
                let rep = if *rep { "REP " } else { "" };
                format!("{rep}{op} port {port:#x}, {size} byte{}", if *size == 1 { "" } else { "s" })
            }
            Cause::Npf { gpa, error } => format!("#NPF at {gpa:#x}: {}", npf_bits(*error)),
            Cause::Exception { vector, error_code } => {
                let mn = crate::svm::exit_code::exception_mnemonic(*vector).unwrap_or("?");
                format!("exception {mn} (vector {vector}), error code {error_code:#x}")
            }
            Cause::Vmrun { vmcb: Some(a) } => format!("VMRUN of the VMCB at {a:#x}"),
            Cause::Vmrun { vmcb: None } => "VMRUN".into(),
            Cause::Other => SvmExitCode(code).name().into(),
            Cause::Unknown => format!("{} (its exit information was overwritten in the same step)", SvmExitCode(code).name()),
        }
    }
}

/// The #NPF error-code bits by name (APM 15.25.6: bits 0-4 as a #PF error code, bit 32 the final
/// guest-physical address, bit 33 a guest page-table access).
pub fn npf_bits(e: u64) -> String {
    let names = [
        (NPF_P, "present", "not present"),
        (NPF_RW, "write", "read"),
        (NPF_US, "user", "supervisor"),
    ];
    let mut out: Vec<&str> = names.iter().map(|&(m, yes, no)| if e & m != 0 { yes } else { no }).collect();
    for (m, n) in [(NPF_RSV, "reserved bit"), (NPF_ID, "fetch"), (NPF_GUEST_FINAL, "final GPA"), (NPF_GUEST_PAGE, "guest page table")] {
        if e & m != 0 {
            out.push(n);
        }
    }
    format!("{} (EXITINFO1 {e:#x})", out.join(", "))
}

/// One control bit that took part in the decision, in the VMCB (or its map) named `vmcb`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BitCheck {
    /// "vmcb02", "vmcb12", "vmcb01", or "VMCB" on a hardware model.
    pub vmcb: &'static str,
    /// Which bit.
    pub kind: CheckKind,
    /// Whether it was set (for `MsrOutsideMap`, `NestedPaging` and `Unconditional`: true).
    pub set: bool,
}

/// The kind of a [`BitCheck`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum CheckKind {
    /// Intercept bit `bit` (word `bit / 32` at VMCB+4·(bit/32), bit `bit % 32`; App. B Table B-1).
    Intercept { bit: u32, name: &'static str, section: &'static str },
    /// The MSRPM bit of `msr` and direction: byte `byte_offset` of the map at `map_base`, bit
    /// `bit` (APM 15.11).
    Msrpm { map_base: u64, byte_offset: u64, bit: u8, msr: u32, write: bool },
    /// An MSR outside the three MSRPM ranges: always intercepted (APM 15.11).
    MsrOutsideMap { msr: u32 },
    /// The IOPM bit of `port`: byte `byte_offset` of the map at `map_base`, bit `bit` (APM 15.10.1).
    Iopm { map_base: u64, byte_offset: u64, bit: u8, port: u16 },
    /// NP_ENABLE is set: the nested walk from N_CR3 `n_cr3` faulted (APM 15.25.6).
    NestedPaging { n_cr3: u64 },
    /// L0 walked L1's nested page table (vmcb12's N_CR3 `n_cr3`) for an #NPF of L2: it faulted
    /// (`faulted`: the #NPF is L1's, reflected) or mapped the address (L0 filled its shadow NPT).
    L1Npt { n_cr3: u64, faulted: bool },
    /// A VMRUN consistency check failed (APM 15.5.1).
    ConsistencyCheck { detail: String },
    /// An exit no intercept bit controls (the exit table's meaning).
    Unconditional { meaning: &'static str, section: &'static str },
}

impl BitCheck {
    /// The address of the map byte that holds the bit, for an MSRPM/IOPM bit.
    pub fn address(&self) -> Option<u64> {
        match self.kind {
            CheckKind::Msrpm { map_base, byte_offset, .. } | CheckKind::Iopm { map_base, byte_offset, .. } => Some(map_base + byte_offset),
            _ => None,
        }
    }

    /// One line, e.g. "vmcb01 MSRPM bit of WRMSR 0xc0000080: 0x… + 0x820 bit 1 = address 0x…, set (APM 15.11)".
    pub fn describe(&self) -> String {
        let state = if self.set { "set" } else { "clear" };
        let v = self.vmcb;
        match &self.kind {
            CheckKind::Intercept { bit, name, section } => {
                format!("{v} intercept {name} (bit {bit}: VMCB+{:#05x} bit {}) {state} (APM {section})", 4 * (bit / 32), bit % 32)
            }
            CheckKind::Msrpm { map_base, byte_offset, bit, msr, write } => format!(
                "{v} MSRPM bit of {} {msr:#x}: map {map_base:#x} + byte {byte_offset:#x}, bit {bit} (address {:#x}) {state} (APM 15.11)",
                if *write { "WRMSR" } else { "RDMSR" },
                map_base + byte_offset
            ),
            CheckKind::MsrOutsideMap { msr } => {
                format!("{v}: MSR {msr:#x} lies outside the MSRPM's ranges, always intercepted (APM 15.11)")
            }
            CheckKind::Iopm { map_base, byte_offset, bit, port } => format!(
                "{v} IOPM bit of port {port:#x}: map {map_base:#x} + byte {byte_offset:#x}, bit {bit} (address {:#x}) {state} (APM 15.10.1)",
                map_base + byte_offset
            ),
            CheckKind::NestedPaging { n_cr3 } => {
                format!("{v} NP_ENABLE set: the nested walk from N_CR3 {n_cr3:#x} faulted (APM 15.25.6)")
            }
            CheckKind::L1Npt { n_cr3, faulted: true } => {
                format!("{v} NP_ENABLE set and L1's nested walk from N_CR3 {n_cr3:#x} faulted: the #NPF is L1's (APM 15.25.6)")
            }
            CheckKind::L1Npt { n_cr3, faulted: false } => {
                format!("{v} NP_ENABLE set and L1's nested table (N_CR3 {n_cr3:#x}) maps the address: L0 filled its shadow NPT")
            }
            CheckKind::ConsistencyCheck { detail } => format!("{v}: VMRUN consistency check failed: {detail}"),
            CheckKind::Unconditional { meaning, section } => format!("{v}: no intercept bit controls this exit: {meaning} (APM {section})"),
        }
    }

    /// Short form for a list row: "msrpm@0x…820.1", "MSR_PROT", "NP".
    pub fn short(&self) -> String {
        match &self.kind {
            CheckKind::Intercept { name, .. } => format!("{} intercept {name}", self.vmcb),
            CheckKind::Msrpm { bit, .. } => format!("{} MSRPM {:#x}.{bit}", self.vmcb, self.address().unwrap_or(0)),
            CheckKind::Iopm { bit, .. } => format!("{} IOPM {:#x}.{bit}", self.vmcb, self.address().unwrap_or(0)),
            CheckKind::MsrOutsideMap { .. } => format!("{} MSR outside MSRPM", self.vmcb),
            CheckKind::NestedPaging { .. } => format!("{} nested paging", self.vmcb),
            CheckKind::L1Npt { faulted: true, .. } => format!("a fault in L1's nested table ({} N_CR3)", self.vmcb),
            CheckKind::L1Npt { faulted: false, .. } => format!("a shadow-NPT fill from L1's nested table ({} N_CR3)", self.vmcb),
            CheckKind::ConsistencyCheck { detail } => format!("the consistency check {detail}"),
            CheckKind::Unconditional { .. } => format!("{} unconditional", self.vmcb),
        }
    }
}

/// Who handled a world switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Handler {
    /// A hardware model: the #VMEXIT returned to L1, the host.
    HardwareToL1,
    /// `kvm-*`: the hardware exit went to L0, which handled it itself.
    L0,
    /// `kvm-*`: the hardware exit went to L0, which reflected it to L1 (event `event`).
    ReflectedToL1 {
        /// The emulated #VMEXIT L2→L1.
        event: usize,
    },
    /// `kvm-*`: the #VMEXIT L0 emulated into vmcb12 (the reflection of an exit to L0).
    EmulatedByL0,
    /// A VMRUN that entered L2.
    EnteredL2,
    /// A VMRUN that failed a consistency check: L2 was not entered, L1 goes on after its VMRUN.
    VmrunFailed,
}

impl Handler {
    /// "L0 handled it itself", "reflected to L1 (event #12)", …
    pub fn describe(self) -> String {
        match self {
            Handler::HardwareToL1 => "hardware #VMEXIT to L1 (the host)".into(),
            Handler::L0 => "L0 handled it itself".into(),
            Handler::ReflectedToL1 { event } => format!("L0 reflected it to L1 (event #{event})"),
            Handler::EmulatedByL0 => "#VMEXIT emulated by L0 into vmcb12".into(),
            Handler::EnteredL2 => "entered L2".into(),
            Handler::VmrunFailed => "VMRUN failed: L2 was not entered".into(),
        }
    }
}

/// The attribution of one world switch (event `event` of the run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// Index of the event in the run's event list.
    pub event: usize,
    /// Its exit code (0 for a VMRUN that entered L2).
    pub exit_code: u64,
    /// What caused it.
    pub cause: Cause,
    /// Who handled it.
    pub handler: Handler,
    /// The bits that made the hardware exit (the VMCB that ran and its maps).
    pub hardware: Vec<BitCheck>,
    /// Under `kvm-*`, for an exit of L2: the vmcb12 bits L0 consulted to decide whether L1 wants
    /// it, and when L0 kept it, its own (vmcb01) bits.
    pub l0_decision: Vec<BitCheck>,
}

impl Attribution {
    /// The check that decided: the last set bit L0 consulted (reflected), the first clear one
    /// (L0 kept it), else the last set hardware bit.
    pub fn decisive(&self) -> Option<&BitCheck> {
        match self.handler {
            Handler::ReflectedToL1 { .. } => self.l0_decision.iter().rev().find(|c| c.set),
            Handler::L0 if !self.l0_decision.is_empty() => {
                self.l0_decision.iter().find(|c| !c.set && c.vmcb == "vmcb12").or(self.l0_decision.iter().rev().find(|c| c.set))
            }
            _ => self.hardware.iter().rev().find(|c| c.set).or(self.hardware.last()),
        }
    }

    /// One line: cause → handler, decided by ….
    pub fn summary(&self) -> String {
        let d = self.decisive().map(|c| format!("; decided by {}{}", c.short(), if c.set { "" } else { " clear" })).unwrap_or_default();
        format!("{} → {}{d}", self.cause.describe(self.exit_code), self.handler.describe())
    }

    /// Every line of the detail: the summary's parts and each bit consulted.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("cause: {}", self.cause.describe(self.exit_code)), format!("handled: {}", self.handler.describe())];
        out.extend(self.hardware.iter().map(|c| format!("hardware: {}", c.describe())));
        out.extend(self.l0_decision.iter().map(|c| format!("L0: {}", c.describe())));
        out
    }
}

/// A VMCB page after the step, with its name.
#[derive(Clone, Copy)]
pub struct NamedPage<'a> {
    /// "vmcb12", "vmcb01", "vmcb02" or "VMCB".
    pub name: &'static str,
    /// The page.
    pub page: &'a [u8; PAGE],
}

/// What [`attribute`] reads.
pub struct StepInputs<'a> {
    /// The step's events with their indices in the run.
    pub events: Vec<(usize, &'a Event)>,
    /// True under a `kvm-*` model.
    pub kvm: bool,
    /// vmcb12 (on a hardware model: the one VMCB), vmcb01, vmcb02 after the step.
    pub vmcb12: Option<NamedPage<'a>>,
    /// L0's VMCB for L1.
    pub vmcb01: Option<NamedPage<'a>>,
    /// L0's VMCB for L2.
    pub vmcb02: Option<NamedPage<'a>>,
    /// RCX after the step (the MSR number of an RDMSR/WRMSR exit: neither instruction changes it).
    pub rcx: u64,
    /// A byte of system-physical memory (the permission maps; under `kvm-*` L1's guest-physical
    /// addresses are system-physical ones, L0 maps L1's RAM 1:1).
    pub read_byte: &'a dyn Fn(u64) -> Option<u8>,
}

/// The exit information of the page if its EXITCODE is `code`.
fn exit_info(p: &NamedPage, code: u64) -> Option<(u64, u64)> {
    (control_f::exit_code.get(p.page) == code).then(|| (control_f::exit_info_1.get(p.page), control_f::exit_info_2.get(p.page)))
}

fn cause_of(code: u64, info: Option<(u64, u64)>, rcx: u64) -> Cause {
    let Some((info1, info2)) = info else { return Cause::Unknown };
    let c = SvmExitCode(code);
    #[allow(clippy::cast_possible_truncation, reason = "RDMSR/WRMSR take the MSR number in ECX; an exception vector is below 32")]
    match c {
        SvmExitCode::MSR => Cause::Msr { msr: rcx as u32, write: info1 & 1 != 0 },
        SvmExitCode::IOIO => match IoioInfo::decode(info1) {
            Some(io) => Cause::Io { port: io.port, size: io.size, is_in: io.is_in, string: io.string, rep: io.rep },
            None => Cause::Other,
        },
        SvmExitCode::NPF => Cause::Npf { gpa: info2, error: info1 },
        _ if (0x40..0x60).contains(&code) => Cause::Exception { vector: (code - 0x40) as u8, error_code: info1 },
        _ => Cause::Other,
    }
}

fn intercept_set(page: &[u8; PAGE], bit: u32) -> bool {
    let w = u32::from_le_bytes(crate::mem::phys::bytes_at(page, 4 * (bit as usize / 32)));
    w >> (bit % 32) & 1 == 1
}

/// The bits of VMCB `p` that make the hardware exit with `code` for `cause`.
pub fn checks_of(p: &NamedPage, code: u64, cause: &Cause, read_byte: &dyn Fn(u64) -> Option<u8>) -> Vec<BitCheck> {
    let mut out = Vec::new();
    let c = SvmExitCode(code);
    if let Some(i) = c.intercept() {
        out.push(intercept_check(p, i));
    } else if c == SvmExitCode::NPF {
        let n_cr3 = control_f::nested_cr3.get(p.page);
        out.push(BitCheck { vmcb: p.name, kind: CheckKind::NestedPaging { n_cr3 }, set: control_f::misc_ctl.get(p.page) & 1 == 1 });
    } else if c != SvmExitCode::INVALID
        && let Some(x) = explain(c)
    {
        out.push(BitCheck { vmcb: p.name, kind: CheckKind::Unconditional { meaning: x.meaning, section: x.section }, set: true });
    }
    let bit_at = |base: u64, bit: u64| {
        let (byte_offset, b) = (bit / 8, (bit % 8) as u8);
        let set = read_byte(base + byte_offset).is_some_and(|v| v >> b & 1 == 1);
        (byte_offset, b, set)
    };
    match *cause {
        Cause::Msr { msr, write } => {
            let map_base = control_f::msrpm_base_pa.get(p.page) & !0xfff;
            out.push(match msrpm_bit(msr) {
                Some(bit) => {
                    let (byte_offset, bit, set) = bit_at(map_base, u64::from(bit) + u64::from(write));
                    BitCheck { vmcb: p.name, kind: CheckKind::Msrpm { map_base, byte_offset, bit, msr, write }, set }
                }
                None => BitCheck { vmcb: p.name, kind: CheckKind::MsrOutsideMap { msr }, set: true },
            });
        }
        Cause::Io { port, size, .. } => {
            let map_base = control_f::iopm_base_pa.get(p.page) & !0xfff;
            for q in u64::from(port)..u64::from(port) + u64::from(size.max(1)) {
                let (byte_offset, bit, set) = bit_at(map_base, q);
                #[allow(clippy::cast_possible_truncation, reason = "a port of the access: below 0x10003, shown as the 16-bit port it wraps to")]
                out.push(BitCheck { vmcb: p.name, kind: CheckKind::Iopm { map_base, byte_offset, bit, port: q as u16 }, set });
            }
        }
        _ => {}
    }
    out
}

fn intercept_check(p: &NamedPage, i: Intercept) -> BitCheck {
    let section = explain(i.exit_code()).map_or("15.9", |x| x.section);
    BitCheck { vmcb: p.name, kind: CheckKind::Intercept { bit: i.bit(), name: i.name(), section }, set: intercept_set(p.page, i.bit()) }
}

/// The bits L0 consults for an exit of L2 (KVM's nested_svm_exit_handled; hv/nested.rs `l2_exit`):
/// vmcb12's intercept bit and, for MSR/IOIO, L1's map bit; for an #NPF, L1's nested table.
fn l1_wants(v12: &NamedPage, code: u64, cause: &Cause, reflected: bool, read_byte: &dyn Fn(u64) -> Option<u8>) -> Vec<BitCheck> {
    if code == SvmExitCode::NPF.0 {
        let n_cr3 = control_f::nested_cr3.get(v12.page);
        if control_f::misc_ctl.get(v12.page) & 1 == 0 {
            // L2 runs on L0's own nested table: the fault is L0's.
            return vec![];
        }
        return vec![BitCheck { vmcb: v12.name, kind: CheckKind::L1Npt { n_cr3, faulted: reflected }, set: true }];
    }
    let mut c = checks_of(v12, code, cause, read_byte);
    // An intercept bit that is clear makes L1's map irrelevant.
    if let Some(first) = c.first()
        && !first.set
    {
        c.truncate(1);
    }
    c
}

/// Attributes every world switch of one step.
pub fn attribute(s: &StepInputs) -> Vec<Attribution> {
    let mut out = Vec::new();
    for (k, &(i, e)) in s.events.iter().enumerate() {
        let later = &s.events[k + 1..];
        let next = later.first().map(|&(_, n)| n);
        let failed_next = next.filter(|n| n.kind == EventKind::Vmexit && n.exit_code == SvmExitCode::INVALID.0);
        let a = match e.kind {
            EventKind::Vmrun => {
                let vmcb = e.detail.as_ref().and_then(|d| d.vmrun_vmcb()).map(|h: Hpa| h.0);
                let handler = if failed_next.is_some() { Handler::VmrunFailed } else { Handler::EnteredL2 };
                let hardware = failed_next
                    .map(|n| {
                        let detail = n.detail_text().unwrap_or_default();
                        vec![BitCheck { vmcb: s.vmcb12.map_or("VMCB", |p| p.name), kind: CheckKind::ConsistencyCheck { detail }, set: true }]
                    })
                    .unwrap_or_default();
                Attribution { event: i, exit_code: failed_next.map_or(0, |n| n.exit_code), cause: Cause::Vmrun { vmcb }, handler, hardware, l0_decision: vec![] }
            }
            EventKind::Vmexit if e.exit_code == SvmExitCode::INVALID.0 => {
                let detail = e.detail_text().unwrap_or_default();
                let name = s.vmcb12.map_or("VMCB", |p| p.name);
                let hardware = vec![BitCheck { vmcb: name, kind: CheckKind::ConsistencyCheck { detail }, set: true }];
                Attribution { event: i, exit_code: e.exit_code, cause: Cause::Vmrun { vmcb: None }, handler: Handler::VmrunFailed, hardware, l0_decision: vec![] }
            }
            EventKind::Vmexit if e.to == Level::L0 => {
                let ran = if e.from == Level::L2 { s.vmcb02 } else { s.vmcb01 };
                let info = ran.and_then(|p| exit_info(&p, e.exit_code));
                let cause = cause_of(e.exit_code, info, s.rcx);
                let hardware = ran.map(|p| checks_of(&p, e.exit_code, &cause, s.read_byte)).unwrap_or_default();
                let reflected = later.iter().find(|(_, n)| n.kind == EventKind::Vmexit && n.from == Level::L2 && n.to == Level::L1);
                let mut l0_decision = Vec::new();
                if e.from == Level::L2
                    && let Some(v12) = s.vmcb12
                {
                    l0_decision = l1_wants(&v12, e.exit_code, &cause, reflected.is_some(), s.read_byte);
                    if reflected.is_none()
                        && e.exit_code != SvmExitCode::NPF.0
                        && let Some(v01) = s.vmcb01
                    {
                        // L0 kept it: its own intercepts for L1 (vmcb01) are why vmcb02 has them.
                        l0_decision.extend(checks_of(&v01, e.exit_code, &cause, s.read_byte).into_iter().filter(|c| c.set));
                    }
                }
                let handler = match reflected {
                    Some(&(j, _)) => Handler::ReflectedToL1 { event: j },
                    None => Handler::L0,
                };
                Attribution { event: i, exit_code: e.exit_code, cause, handler, hardware, l0_decision }
            }
            EventKind::Vmexit => {
                // L2→L1: emulated by L0 (kvm-*) or the hardware's (bare); vmcb12 / the VMCB holds it.
                let info = s.vmcb12.and_then(|p| exit_info(&p, e.exit_code));
                let cause = cause_of(e.exit_code, info, s.rcx);
                let hardware = s.vmcb12.map(|p| checks_of(&p, e.exit_code, &cause, s.read_byte)).unwrap_or_default();
                let handler = if s.kvm { Handler::EmulatedByL0 } else { Handler::HardwareToL1 };
                Attribution { event: i, exit_code: e.exit_code, cause, handler, hardware, l0_decision: vec![] }
            }
        };
        out.push(a);
    }
    out
}

/// Attributes the events `first_event..` of the step that just ran on `sim`, whose VMCBs are
/// `vmcbs` (`Sim::vmcbs`, which the caller has at hand: it may scan the event log).
pub fn attribute_step(sim: &crate::sim::Sim, first_event: usize, vmcbs: &[(crate::sim::VmcbRole, Hpa)]) -> Vec<Attribution> {
    use crate::sim::VmcbRole;
    let m = sim.machine();
    let kvm = matches!(sim, crate::sim::Sim::Kvm(_));
    let named = |role: VmcbRole| {
        let &(r, a) = vmcbs.iter().find(|(r, _)| *r == role)?;
        m.mem.page(Hpa(a.0 & !0xfff)).ok().map(|page| NamedPage { name: r.name(kvm), page })
    };
    let read_byte = |a: u64| m.mem.read_u8(Hpa(a)).ok();
    let inputs = StepInputs {
        // By index: `EventLog::since` walks the kept events from the start.
        events: (first_event..m.events.len()).filter_map(|i| m.events.get(i).map(|e| (i, e))).collect(),
        kvm,
        vmcb12: named(VmcbRole::Vmcb12),
        vmcb01: named(VmcbRole::Vmcb01),
        vmcb02: named(VmcbRole::Vmcb02),
        rcx: m.cpu.regs.gpr[1],
        read_byte: &read_byte,
    };
    attribute(&inputs)
}

#[cfg(test)]
#[path = "attribution_tests.rs"]
mod tests;
