//! Timeline data: one mark per world switch of the run (level before and after, exit code and
//! EXITINFO1/2 as the exit wrote them into the VMCB of the level that handles it), and the
//! per-pixel summary the timeline canvas draws, so 10^5+ switches cost one pass per frame.
#![allow(clippy::cast_possible_truncation, reason = "pixel columns come from a float clamped to the canvas width (float casts saturate)")]
use nestscope_core::mem::Hpa;
use nestscope_core::sim::Sim;
use nestscope_core::svm::exit_code::SvmExitCode;
use nestscope_core::svm::vmcb::fields::field;
use nestscope_core::trace::{Event, EventKind, Level};

/// Marks kept at most (the oldest are dropped beyond this; a long run still shows 10^6).
pub const MAX_MARKS: usize = 1_000_000;

/// One world switch on the timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    /// The step counter after the step that switched (where a jump lands).
    pub at: u64,
    /// Index of the event in the run's event list.
    pub event: usize,
    pub kind: EventKind,
    pub from: Level,
    pub to: Level,
    pub code: u64,
    /// EXITINFO1/2 of a #VMEXIT (from the handling level's VMCB), if it could be read.
    pub info: Option<(u64, u64)>,
}

impl Mark {
    pub fn invalid(&self) -> bool {
        self.kind == EventKind::Vmexit && self.code == SvmExitCode::INVALID.0
    }

    /// "#VMEXIT L2→L1 0x81 VMEXIT_VMMCALL · EXITINFO1 0x0 · EXITINFO2 0x0 · step 57".
    pub fn describe(&self) -> String {
        let mut s = match self.kind {
            EventKind::Vmrun => format!("VMRUN {}→{}", self.from.name(), self.to.name()),
            EventKind::Vmexit if self.invalid() => {
                format!("#VMEXIT {}→{} -1 VMEXIT_INVALID (VMRUN failed)", self.from.name(), self.to.name())
            }
            EventKind::Vmexit => format!(
                "#VMEXIT {}→{} {:#x} {}",
                self.from.name(),
                self.to.name(),
                self.code,
                SvmExitCode(self.code).name()
            ),
        };
        if let Some((i1, i2)) = self.info {
            s += &format!(" · EXITINFO1 {i1:#x} · EXITINFO2 {i2:#x}");
        }
        s + &format!(" · step {}", self.at)
    }
}

/// The VMCB an exit from `e.from` to `e.to` writes its exit information into.
fn exit_vmcb(sim: &Sim, e: &Event) -> Option<u64> {
    match (sim, e.to, e.from) {
        (Sim::Kvm(k), Level::L0, Level::L1) => Some(k.layout.vmcb01),
        (Sim::Kvm(k), Level::L0, Level::L2) => Some(k.layout.vmcb02),
        (_, Level::L1, _) => sim.vmcbs().into_iter().find(|(r, _)| *r == nestscope_core::sim::VmcbRole::Vmcb12).map(|(_, a)| a.0),
        _ => None,
    }
}

fn exit_info(sim: &Sim, e: &Event) -> Option<(u64, u64)> {
    let vmcb = exit_vmcb(sim, e)?;
    let mem = &sim.machine().mem;
    let read = |name| mem.read_u64(Hpa(vmcb + u64::from(field(name)?.offset))).ok();
    Some((read("exit_info_1")?, read("exit_info_2")?))
}

/// The marks of the events from `first` on (just added by one step).
pub fn marks_of(sim: &Sim, first: usize) -> Vec<Mark> {
    let m = sim.machine();
    m.events
        .since(first)
        .map(|(i, e)| Mark {
            at: m.steps,
            event: i,
            kind: e.kind,
            from: e.from,
            to: e.to,
            code: e.exit_code,
            info: (e.kind == EventKind::Vmexit).then(|| exit_info(sim, e)).flatten(),
        })
        .collect()
}

/// Marks for the events a run already has (a loaded checkpoint): at their own step, without
/// exit information.
pub fn marks_of_log(sim: &Sim) -> Vec<Mark> {
    let evs = &sim.machine().events;
    evs.since(0)
        .map(|(i, e)| Mark { at: e.step, event: i, kind: e.kind, from: e.from, to: e.to, code: e.exit_code, info: None })
        .collect()
}

/// Keeps at most [`MAX_MARKS`] (drops the oldest tenth when full).
pub fn trim(marks: &mut Vec<Mark>) {
    if marks.len() > MAX_MARKS {
        marks.drain(..MAX_MARKS / 10);
    }
}

/// A colour class of an exit code (with its text for the legend): the timeline colours marks
/// by it, the legend and hover text name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Vmrun,
    Invalid,
    Vmmcall,
    Msr,
    Ioio,
    Npf,
    Cpuid,
    Hlt,
    Other,
}

pub const CATEGORIES: [Category; 9] = [
    Category::Vmrun,
    Category::Invalid,
    Category::Vmmcall,
    Category::Msr,
    Category::Ioio,
    Category::Npf,
    Category::Cpuid,
    Category::Hlt,
    Category::Other,
];

impl Category {
    pub fn of(m: &Mark) -> Category {
        if m.kind == EventKind::Vmrun {
            return Category::Vmrun;
        }
        match SvmExitCode(m.code) {
            SvmExitCode::INVALID => Category::Invalid,
            SvmExitCode::VMMCALL => Category::Vmmcall,
            SvmExitCode::MSR => Category::Msr,
            SvmExitCode::IOIO => Category::Ioio,
            SvmExitCode::NPF => Category::Npf,
            SvmExitCode::CPUID => Category::Cpuid,
            SvmExitCode::HLT => Category::Hlt,
            _ => Category::Other,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Category::Vmrun => "VMRUN",
            Category::Invalid => "VMEXIT_INVALID",
            Category::Vmmcall => "VMMCALL",
            Category::Msr => "MSR",
            Category::Ioio => "IOIO",
            Category::Npf => "NPF",
            Category::Cpuid => "CPUID",
            Category::Hlt => "HLT",
            Category::Other => "other exit",
        }
    }
    /// Colour (Okabe–Ito palette, distinguishable with common colour-vision deficiencies).
    pub fn colour(self) -> &'static str {
        match self {
            Category::Vmrun => "#009e73",
            Category::Invalid => "#d55e00",
            Category::Vmmcall => "#0072b2",
            Category::Msr => "#e69f00",
            Category::Ioio => "#cc79a7",
            Category::Npf => "#56b4e9",
            Category::Cpuid => "#8a6d00",
            Category::Hlt => "#7f7f7f",
            Category::Other => "#999999",
        }
    }
}

/// Lane of a level (0 = L0 at the top).
pub fn lane(l: Level) -> usize {
    match l {
        Level::L0 => 0,
        Level::L1 => 1,
        Level::L2 => 2,
    }
}

/// What one pixel column of the timeline shows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Column {
    /// Bit n: level n ran during the column.
    pub levels: u8,
    /// The most telling mark in the column (a failed VMRUN beats an exit beats a VMRUN).
    pub mark: Option<usize>,
    pub count: u32,
}

fn rank(m: &Mark) -> u8 {
    match Category::of(m) {
        Category::Invalid => 3,
        Category::Vmrun => 1,
        _ => 2,
    }
}

/// Summarises `marks` (sorted by `at`) over steps `[t0, t1)` in `width` columns; `start` is the
/// level that runs before the first mark.
pub fn columns(marks: &[Mark], start: Level, t0: f64, t1: f64, width: usize) -> Vec<Column> {
    let mut cols = vec![Column::default(); width];
    if width == 0 || t1 <= t0 {
        return cols;
    }
    let scale = width as f64 / (t1 - t0);
    let col_of = |at: f64| (((at - t0) * scale).floor().max(0.0) as usize).min(width - 1);
    // The level that runs at t0: the destination of the last mark before it.
    let first = marks.partition_point(|m| (m.at as f64) < t0);
    let mut level = if first == 0 { start } else { marks[first - 1].to };
    let mut col = 0;
    for (i, m) in marks.iter().enumerate().skip(first) {
        if m.at as f64 >= t1 {
            break;
        }
        let c = col_of(m.at as f64);
        for x in &mut cols[col..=c] {
            x.levels |= 1 << lane(level);
        }
        col = c;
        let x = &mut cols[c];
        x.count += 1;
        if x.mark.is_none_or(|j| rank(m) > rank(&marks[j])) {
            x.mark = Some(i);
        }
        level = m.to;
        x.levels |= 1 << lane(level);
    }
    for x in &mut cols[col..] {
        x.levels |= 1 << lane(level);
    }
    cols
}

/// The mark nearest to step position `at` within `tolerance` steps.
pub fn nearest(marks: &[Mark], at: f64, tolerance: f64) -> Option<usize> {
    let i = marks.partition_point(|m| (m.at as f64) < at);
    [i.checked_sub(1), (i < marks.len()).then_some(i)]
        .into_iter()
        .flatten()
        .min_by(|&a, &b| {
            let (da, db) = ((marks[a].at as f64 - at).abs(), (marks[b].at as f64 - at).abs());
            da.total_cmp(&db)
        })
        .filter(|&j| (marks[j].at as f64 - at).abs() <= tolerance)
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
