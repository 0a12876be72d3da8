//! Native tests of the timeline summary on hand-made marks.
use super::*;

fn mark(at: u64, kind: EventKind, from: Level, to: Level, code: u64) -> Mark {
    Mark { at, event: 0, kind, from, to, code, info: None }
}

fn marks() -> Vec<Mark> {
    vec![
        mark(10, EventKind::Vmrun, Level::L1, Level::L2, 0),
        mark(20, EventKind::Vmexit, Level::L2, Level::L0, SvmExitCode::NPF.0),
        mark(20, EventKind::Vmrun, Level::L0, Level::L2, 0),
        mark(30, EventKind::Vmexit, Level::L2, Level::L1, SvmExitCode::VMMCALL.0),
    ]
}

#[test]
fn columns_show_which_levels_ran_and_the_most_telling_mark() {
    // 40 steps in 4 columns of 10 steps each.
    let cols = columns(&marks(), Level::L1, 0.0, 40.0, 4);
    let (l0, l1, l2) = (1u8, 2u8, 4u8);
    assert_eq!(cols[0], Column { levels: l1, mark: None, count: 0 });
    // Column 1 [10, 20): the VMRUN into L2.
    assert_eq!(cols[1], Column { levels: l1 | l2, mark: Some(0), count: 1 });
    // Column 2 [20, 30): the #NPF to L0 and L0's VMRUN back: the exit is shown.
    assert_eq!(cols[2], Column { levels: l2 | l0, mark: Some(1), count: 2 });
    assert_eq!(cols[3], Column { levels: l2 | l1, mark: Some(3), count: 1 });
}

#[test]
fn a_zoomed_view_starts_in_the_level_of_the_last_earlier_mark() {
    let cols = columns(&marks(), Level::L1, 12.0, 18.0, 3);
    assert!(cols.iter().all(|c| c.levels == 4 && c.mark.is_none()), "{cols:?}");
}

#[test]
fn nearest_finds_a_mark_within_the_tolerance_only() {
    let m = marks();
    assert_eq!(nearest(&m, 11.0, 2.0), Some(0));
    assert_eq!(nearest(&m, 28.5, 2.0), Some(3));
    assert_eq!(nearest(&m, 15.0, 2.0), None);
}

#[test]
fn every_category_has_a_name_and_a_distinct_colour() {
    let colours: std::collections::BTreeSet<_> = CATEGORIES.iter().map(|c| c.colour()).collect();
    assert_eq!(colours.len(), CATEGORIES.len());
    assert_eq!(Category::of(&marks()[1]).name(), "NPF");
    let bad = mark(5, EventKind::Vmexit, Level::L1, Level::L1, SvmExitCode::INVALID.0);
    assert!(bad.describe().contains("VMRUN failed"));
}
