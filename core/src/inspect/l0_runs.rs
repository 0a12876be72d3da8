//! Runs of exits that L0 handled itself: a #VMEXIT from L1 (or L2) to L0 followed by L0's VMRUN
//! back to the same level, repeated. Under a `kvm-*` model most world switches are of this kind
//! (L1's MSR and I/O accesses, L2's nested page faults on the shadow NPT); the views fold each
//! run into one line so that the switches between L1 and L2 stand out.
use crate::svm::exit_code::SvmExitCode;
use crate::trace::{Event, EventKind, Level};

/// Exits a run needs before it is folded (a single L0-handled exit stays two plain lines).
pub const MIN_EXITS: usize = 2;

/// One run: events `first..first + len` of the list given to [`l0_runs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L0Run {
    /// Position of the run's first event in the list.
    pub first: usize,
    /// Events in the run (twice the exits).
    pub len: usize,
    /// The level L0 returned to each time (L1 or L2).
    pub level: Level,
    /// (exit code, how many), most frequent first, then by code.
    pub exits: Vec<(u64, usize)>,
    /// Steps of the first and the last event.
    pub steps: (u64, u64),
}

impl L0Run {
    /// How many exits L0 handled in the run.
    pub fn exit_count(&self) -> usize {
        self.len / 2
    }

    /// "L1→L0→L1".
    pub fn route(&self) -> String {
        format!("{0}→L0→{0}", self.level.name())
    }

    /// "3× 0x7c VMEXIT_MSR, 1× 0x7b VMEXIT_IOIO".
    pub fn codes_text(&self) -> String {
        self.exits.iter().map(|(c, n)| format!("{n}× {c:#x} {}", SvmExitCode(*c).name())).collect::<Vec<_>>().join(", ")
    }

    /// "4 exits L1→L0→L1 that L0 handled itself: 3× 0x7c VMEXIT_MSR, 1× 0x7b VMEXIT_IOIO".
    pub fn summary(&self) -> String {
        format!("{} exits {} that L0 handled itself: {}", self.exit_count(), self.route(), self.codes_text())
    }
}

/// Whether events `a`, `b` are an exit to L0 and L0's VMRUN back to the level that exited.
fn handled_by_l0(a: &Event, b: &Event) -> Option<Level> {
    let back = a.kind == EventKind::Vmexit
        && a.to == Level::L0
        && a.from != Level::L0
        && b.kind == EventKind::Vmrun
        && b.from == Level::L0
        && b.to == a.from;
    back.then_some(a.from)
}

/// The runs of at least [`MIN_EXITS`] consecutive L0-handled exits in `events` (in order).
pub fn l0_runs<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<L0Run> {
    let events: Vec<&Event> = events.into_iter().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k + 1 < events.len() {
        let Some(level) = handled_by_l0(events[k], events[k + 1]) else {
            k += 1;
            continue;
        };
        let mut end = k + 2;
        while end + 1 < events.len() && handled_by_l0(events[end], events[end + 1]) == Some(level) {
            end += 2;
        }
        let len = end - k;
        if len / 2 >= MIN_EXITS {
            let mut exits: Vec<(u64, usize)> = Vec::new();
            for e in events[k..end].iter().step_by(2) {
                match exits.iter_mut().find(|(c, _)| *c == e.exit_code) {
                    Some((_, n)) => *n += 1,
                    None => exits.push((e.exit_code, 1)),
                }
            }
            exits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            out.push(L0Run { first: k, len, level, exits, steps: (events[k].step, events[end - 1].step) });
        }
        k = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ev(kind: EventKind, from: Level, to: Level, code: u64, step: u64) -> Event {
        Event { kind, from, to, exit_code: code, step, rip: 0, detail: None }
    }
    fn exit(from: Level, code: u64, step: u64) -> Event {
        ev(EventKind::Vmexit, from, Level::L0, code, step)
    }
    fn back(to: Level, step: u64) -> Event {
        ev(EventKind::Vmrun, Level::L0, to, 0, step)
    }

    #[test]
    fn exits_l0_handles_fold_and_switches_between_l1_and_l2_do_not() {
        use Level::*;
        // L1's two MSR writes and one I/O (L0 handles them), then L1's VMRUN, which L0 emulates
        // (L1→L0, then L0→L2: not a return to the level that exited), then two #NPF of L2 handled
        // by L0, then L2's VMMCALL reflected to L1 (L2→L0, L0→L1), then one lone MSR exit of L1.
        let evs = [
            exit(L1, 0x7c, 1), back(L1, 1), exit(L1, 0x7b, 2), back(L1, 2), exit(L1, 0x7c, 3), back(L1, 3),
            exit(L1, 0x80, 4), back(L2, 4),
            exit(L2, 0x400, 5), back(L2, 5), exit(L2, 0x400, 6), back(L2, 6),
            exit(L2, 0x81, 7), back(L1, 7),
            exit(L1, 0x7c, 8), back(L1, 8),
        ];
        let runs = l0_runs(&evs);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!((runs[0].first, runs[0].len, runs[0].level, runs[0].steps), (0, 6, L1, (1, 3)));
        assert_eq!(runs[0].summary(), "3 exits L1→L0→L1 that L0 handled itself: 2× 0x7c VMEXIT_MSR, 1× 0x7b VMEXIT_IOIO");
        assert_eq!((runs[1].first, runs[1].len, runs[1].route()), (8, 4, "L2→L0→L2".to_string()));
        assert_eq!(runs[1].codes_text(), "2× 0x400 VMEXIT_NPF");
    }

    #[test]
    fn an_exit_l0_has_not_answered_yet_is_not_in_a_run() {
        use Level::*;
        let evs = [exit(L1, 0x7c, 1), back(L1, 1), exit(L1, 0x7c, 2), back(L1, 2), exit(L1, 0x7c, 3)];
        let runs = l0_runs(&evs);
        assert_eq!((runs.len(), runs[0].len), (1, 4));
        // On bare, L1 is the host: no event involves L0, nothing folds.
        let bare = [ev(EventKind::Vmrun, L1, L2, 0, 1), ev(EventKind::Vmexit, L2, L1, 0x81, 2)];
        assert!(l0_runs(&bare).is_empty());
    }
}
