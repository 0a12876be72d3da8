//! The event log of a run: the first `HEAD` events and the last `TAIL` ones, with the count of all.
//!
//! A nested loop records four world switches per round trip; keeping every event made a long run
//! grow without bound (a 50-million-step run of a tight VMRUN loop is over ten million events)
//! and made each push slower as the vector kept moving. What is shown needs only the start (the
//! CLI JSON lists the first 10 000, CONTRACT §3) and the end (the UI's trace shows the newest);
//! events in between are counted, not kept. Indices are positions in the whole run: event `i` is
//! the `i`-th world switch whether or not it is still kept.
#![warn(missing_docs)]
use super::Event;
use std::collections::VecDeque;

/// Events kept from the start of a run (the CLI's `events` list, CONTRACT §3).
pub const HEAD: usize = 10_000;
/// Most recent events kept after the first `HEAD`.
pub const TAIL: usize = 10_000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
/// The events of a run: the first `HEAD` and the most recent `TAIL` kept, and the total count.
pub struct EventLog {
    head: Vec<Event>,
    tail: VecDeque<Event>,
    total: usize,
}

impl EventLog {
    /// Records an event (the oldest of the tail is dropped when the tail is full).
    pub fn push(&mut self, e: Event) {
        if self.head.len() < HEAD {
            self.head.push(e);
        } else {
            if self.tail.len() == TAIL {
                self.tail.pop_front();
            }
            self.tail.push_back(e);
        }
        self.total = self.total.saturating_add(1);
    }

    /// Events of the whole run, kept or not.
    pub fn len(&self) -> usize {
        self.total
    }

    /// True before the first event.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Index of the first event of the tail (events from `head.len()` up to this were dropped).
    fn tail_start(&self) -> usize {
        self.total - self.tail.len()
    }

    /// Event `i` of the run, if it is kept.
    pub fn get(&self, i: usize) -> Option<&Event> {
        if i < self.head.len() {
            self.head.get(i)
        } else if i >= self.tail_start() {
            self.tail.get(i - self.tail_start())
        } else {
            None
        }
    }

    /// The kept events in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.head.iter().chain(self.tail.iter())
    }

    /// The kept events with index `from` or later, with their indices.
    pub fn since(&self, from: usize) -> impl Iterator<Item = (usize, &Event)> {
        let head = self.head.iter().enumerate().skip(from);
        let t0 = self.tail_start();
        let tail = self.tail.iter().enumerate().map(move |(i, e)| (t0 + i, e)).skip(from.saturating_sub(t0));
        head.chain(tail)
    }

    /// How many events were counted but not kept.
    pub fn dropped(&self) -> usize {
        self.total - self.head.len() - self.tail.len()
    }

    /// Rebuilds a log from its kept events (in order) and the run's total (a checkpoint).
    pub fn from_kept(kept: Vec<Event>, total: usize) -> Result<EventLog, String> {
        if total < kept.len() || (total > kept.len() && kept.len() < HEAD) || kept.len() > HEAD + TAIL {
            return Err(format!("{} kept events do not fit a log of {total} events", kept.len()));
        }
        let mut kept = kept;
        let tail: VecDeque<Event> = if kept.len() > HEAD { kept.split_off(HEAD).into() } else { VecDeque::new() };
        if total > kept.len() + tail.len() && tail.len() != TAIL {
            return Err(format!("{total} events but only {} kept after the first {HEAD}", tail.len()));
        }
        Ok(EventLog { head: kept, tail, total })
    }
}

impl std::ops::Index<usize> for EventLog {
    type Output = Event;
    fn index(&self, i: usize) -> &Event {
        self.get(i).unwrap_or_else(|| panic!("event {i} of {} is not kept (only the first {HEAD} and last {TAIL} are)", self.total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{EventKind, Level};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn ev(step: u64) -> Event {
        Event { kind: EventKind::Vmrun, from: Level::L1, to: Level::L2, exit_code: 0, step, rip: 0, detail: None }
    }

    fn log(n: usize) -> EventLog {
        let mut l = EventLog::default();
        (0..n as u64).for_each(|i| l.push(ev(i)));
        l
    }

    #[test]
    fn keeps_the_first_and_last_events_and_counts_all() {
        // (events pushed, kept, dropped)
        for (n, kept, dropped) in [(0, 0, 0), (5, 5, 0), (HEAD, HEAD, 0), (HEAD + TAIL, HEAD + TAIL, 0), (HEAD + TAIL + 7, HEAD + TAIL, 7)] {
            let l = log(n);
            assert_eq!((l.len(), l.iter().count(), l.dropped()), (n, kept, dropped), "{n} events");
            // Every kept event is found at its index in the run; dropped ones are not.
            for (i, e) in l.since(0) {
                assert_eq!(e.step, i as u64);
                assert_eq!(l.get(i), Some(e));
            }
            if dropped > 0 {
                assert_eq!(l.get(HEAD), None);
                assert_eq!(l[n - 1].step, n as u64 - 1);
                assert_eq!(l[HEAD - 1].step, HEAD as u64 - 1);
            }
        }
    }

    #[test]
    fn since_lists_the_kept_events_from_an_index() {
        let l = log(HEAD + TAIL + 100);
        let first: Vec<usize> = l.since(HEAD + TAIL + 97).map(|(i, _)| i).collect();
        assert_eq!(first, [HEAD + TAIL + 97, HEAD + TAIL + 98, HEAD + TAIL + 99]);
        assert_eq!(l.since(HEAD - 1).next().map(|(i, _)| i), Some(HEAD - 1));
        assert_eq!(l.since(HEAD).next().map(|(i, _)| i), Some(HEAD + 100), "the first kept after the gap");
    }

    #[test]
    fn a_log_rebuilt_from_its_kept_events_is_the_same_log() {
        for n in [0, 3, HEAD + 1, HEAD + TAIL + 50] {
            let l = log(n);
            let back = EventLog::from_kept(l.iter().cloned().collect(), n).unwrap();
            assert_eq!(back, l, "{n}");
        }
        assert!(EventLog::from_kept(vec![ev(0)], 5).is_err(), "a gap before the head is full");
        assert!(EventLog::from_kept(vec![ev(0), ev(1)], 1).is_err());
    }
}
