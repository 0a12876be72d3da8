//! In-app help: a short "How to read this" for each panel, and the project's reference
//! documents (docs/reference/*.md, embedded at build time) that the teaching notes cite as
//! "§N.M" — shown by the Reference panel, which a click on a citation opens at its section.

/// (file name, text) of every reference document, in order (§0 … §14).
pub const REFERENCE: &[(&str, &str)] = &[
    ("00-conventions.md", include_str!("../../docs/reference/00-conventions.md")),
    ("01-vmcb.md", include_str!("../../docs/reference/01-vmcb.md")),
    ("02-exits.md", include_str!("../../docs/reference/02-exits.md")),
    ("03-permission-maps.md", include_str!("../../docs/reference/03-permission-maps.md")),
    ("04-vmrun-vmexit.md", include_str!("../../docs/reference/04-vmrun-vmexit.md")),
    ("05-pat-mtrr.md", include_str!("../../docs/reference/05-pat-mtrr.md")),
    ("06-memory-types.md", include_str!("../../docs/reference/06-memory-types.md")),
    ("07-nested-paging.md", include_str!("../../docs/reference/07-nested-paging.md")),
    ("08-gpat.md", include_str!("../../docs/reference/08-gpat.md")),
    ("09-kvm-gpat.md", include_str!("../../docs/reference/09-kvm-gpat.md")),
    ("10-other-emulators.md", include_str!("../../docs/reference/10-other-emulators.md")),
    ("11-test-suites.md", include_str!("../../docs/reference/11-test-suites.md")),
    ("12-open-points.md", include_str!("../../docs/reference/12-open-points.md")),
    ("13-multiboot-fwcfg.md", include_str!("../../docs/reference/13-multiboot-fwcfg.md")),
    ("14-interrupts.md", include_str!("../../docs/reference/14-interrupts.md")),
];

/// The document of section `sec` ("9.7" → 09-kvm-gpat.md): its index in [`REFERENCE`].
pub fn doc_of(sec: &str) -> Option<usize> {
    let chapter: u32 = sec.split('.').next()?.parse().ok()?;
    REFERENCE.iter().position(|(f, _)| f.split('-').next().and_then(|n| n.parse::<u32>().ok()) == Some(chapter))
}

/// A document's title: its first heading without the "# ".
pub fn title(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_start_matches('#').trim()
}

/// The section number a heading starts with ("9.7 Nested-state ABI …" → "9.7",
/// "Reference §9: KVM's gPAT designs" → "9").
pub fn heading_section(h: &str) -> Option<String> {
    let t = h.trim().trim_start_matches("Reference").trim().trim_start_matches('§');
    let n: String = t.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let n = n.trim_end_matches('.');
    (!n.is_empty() && n.chars().next().is_some_and(|c| c.is_ascii_digit())).then(|| n.to_string())
}

/// "How to read this" of each panel (by its tab name).
pub fn how_to_read(panel: &str) -> Option<&'static str> {
    Some(match panel {
        "Registers" => "L1's registers, and the CPU's while L2 runs (the level badge in the toolbar says which level executes). A highlighted row changed in the last step or run; the interrupt line shows RFLAGS.IF, GIF, V_IRQ and what is pending.",
        "VMCB" => "The VMCB picked above as it is in memory now: vmcb12 is the one L1 passed to VMRUN; under kvm-* L0 also keeps vmcb01 (to run L1) and vmcb02 (to run L2). Fields are grouped as in the APM (control area, then the state save area); the changes of the last world switch are marked.",
        "Memory" => "A hex dump from the address given: physical (host-physical; L1's guest-physical under kvm-* is the same, L0 maps L1's RAM 1:1) or, ticked, linear through the running level's page tables.",
        "Page walk" => "How the running level's address is translated: each page-table level with its entry, then (with nested paging) each nested level, and the memory type the walk ends with (reference §7, §6).",
        "PAT layers" => "For one access by L2: the PAT entry L2's PTE selects in its gPAT, the one L1's nested PTE selects in L1's PAT, and under kvm-* the one L0's (shadow) NPT selects in L0's PAT — then the type bare metal gives against the type the model gives (reference §6.4, §8.4, §9.8).",
        "Compare" => "The loaded program under two models in lockstep, in time slices (Pause and Cancel work): it stops at the first instruction after which what L1 or L2 can observe differs — registers, written memory (VMCB bytes named by field), console — or says that the models agree, or that the step limit came first.",
        "Scenario" => "What the scenario shows, its teaching notes (a § citation opens the Reference panel there), what each model is expected to produce and the verdict of the last finished run; \"What to look at\" runs the pair of models that shows the problem to where they first differ.",
        "Console" => "What the guest wrote to the debug console (port 0xE9 or the UART), under the model the run uses.",
        "Source" => "The scenario's program in the project's NASM syntax: edit and Assemble to run your version (the expectation no longer applies to it); Revert goes back to the catalog's.",
        "Reference" => "The project's reference documents (docs/reference): the facts the teaching notes cite, with the APM's sections. Pick a document, or click a § citation in the notes.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_citation_in_the_catalog_names_an_embedded_section() {
        // Each "§N.M" the teaching notes cite must be a heading of reference document N.
        let scenarios = nestscope_core::scenario::catalog::load().expect("the catalog parses");
        let mut checked = 0;
        for s in &scenarios {
            for sec in crate::markdown::citations(&s.teaching_notes) {
                let d = doc_of(&sec).unwrap_or_else(|| panic!("{}: §{sec} has no document", s.name));
                let heads: Vec<String> = REFERENCE[d].1.lines().filter(|l| l.starts_with('#')).filter_map(|l| heading_section(l.trim_start_matches('#'))).collect();
                assert!(heads.iter().any(|h| *h == sec || sec.starts_with(&format!("{h}."))), "{}: §{sec} not among {heads:?}", s.name);
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked} citations: the notes cite the reference throughout");
        assert_eq!(doc_of("9.7").map(|i| REFERENCE[i].0), Some("09-kvm-gpat.md"));
        assert_eq!(heading_section("### 9.7 Nested-state ABI".trim_start_matches('#')), Some("9.7".into()));
        assert_eq!(heading_section("Reference §9: KVM's gPAT designs"), Some("9".into()));
    }
}
