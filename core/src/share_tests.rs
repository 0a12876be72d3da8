//! Share links round-trip, and every damaged, truncated, foreign or oversized link is refused
//! with a message (mutations of real links), never a panic.
use super::*;

fn sample() -> ShareLink {
    let mut l = ShareLink::for_source("mov al, 'A'\nout 0xe9, al\nhlt\n", "kvm-merged", 12);
    l.view = Some("vmcb".into());
    l.address = Some(0x10_0000);
    l
}

#[test]
fn a_link_round_trips_and_catalog_sources_go_by_name() {
    let l = sample();
    let frag = l.encode();
    assert!(frag.starts_with("#ns1."), "{frag}");
    assert_eq!(ShareLink::decode(&format!("http://127.0.0.1:8080/{frag}")).unwrap(), l);
    assert_eq!(ShareLink::decode(&frag[1..]).unwrap(), l);
    let hello = crate::scenario::catalog::get("hello-vmrun").unwrap().unwrap();
    let c = ShareLink::for_source(&hello.source, "bare", 40);
    assert_eq!(c.program, LinkProgram::Catalog("hello-vmrun".into()));
    assert!(c.encode().len() < 120, "a catalog link is short: {}", c.encode());
    let b = ShareLink::for_binary(&[0xf4], "bare", 1);
    assert_eq!(ShareLink::decode(&b.encode()).unwrap().setup().unwrap().0, vec![0xf4]);
}

#[test]
fn every_truncation_is_refused() {
    let frag = sample().encode();
    for cut in 0..frag.len() {
        assert!(ShareLink::decode(&frag[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn every_single_character_change_is_refused_or_valid() {
    let frag = sample().encode();
    let alphabet = b"AZaz09-_.#%";
    let mut refused = 0;
    for i in 0..frag.len() {
        for &c in alphabet {
            let mut b = frag.clone().into_bytes();
            if b[i] == c {
                continue;
            }
            b[i] = c;
            match ShareLink::decode(std::str::from_utf8(&b).unwrap()) {
                Err(e) => {
                    assert!(!e.to_string().is_empty() && !e.to_string().contains('\n'));
                    refused += 1;
                }
                Ok(l) => assert!(l.validate().is_ok()),
            }
        }
    }
    assert!(refused > frag.len() * 8, "almost every change is caught ({refused})");
}

#[test]
fn foreign_oversized_and_hostile_links_are_named() {
    assert_eq!(ShareLink::decode("https://example.com/#top"), Err(ShareError::NotALink));
    assert_eq!(ShareLink::decode("#ns2.AAAA"), Err(ShareError::Version("2".into())));
    assert_eq!(ShareLink::decode("#ns1.!!!"), Err(ShareError::BadEncoding));
    let long = format!("#ns1.{}", "A".repeat(MAX_LINK_CHARS));
    assert!(matches!(ShareLink::decode(&long), Err(ShareError::TooLong { .. })));
    // A bomb: 2 MiB of spaces compresses to a few KiB.
    let z = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b' '; 2 << 20], 9);
    let bomb = format!("#ns1.{}", URL_SAFE_NO_PAD.encode(z));
    assert!(bomb.len() < MAX_LINK_CHARS);
    assert_eq!(ShareLink::decode(&bomb), Err(ShareError::TooLarge));
    let enc = |j: &str| format!("#ns1.{}", URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec_zlib(j.as_bytes(), 6)));
    let cases = [
        (r#"{"program":{"catalog":"hello"},"model":"kvm-\u001b[31m","step":1}"#, "model"),
        (r#"{"program":{"catalog":"nope"},"model":"bare","step":1}"#, "program"),
        (r#"{"program":{"catalog":"hello"},"model":"bare","step":99999999999}"#, "step"),
        (r#"{"program":{"catalog":"hello"},"model":"bare","step":1,"view":"x"}"#, "view"),
        (r#"{"program":{"catalog":"hello"},"model":"bare","step":1,"mem_mib":0}"#, "mem_mib"),
        (r#"{"program":{"binary":""},"model":"bare","step":1}"#, "program"),
    ];
    for (j, field) in cases {
        let e = ShareLink::decode(&enc(j)).unwrap_err().to_string();
        assert!(e.contains(field) && !e.contains('\u{1b}'), "{j}: {e}");
    }
    assert!(matches!(ShareLink::decode(&enc(r#"{"program":{"catalog":"hello"},"model":"bare","step":1,"x":1}"#)), Err(ShareError::BadContent(_))));
}

#[test]
fn an_edit_of_a_catalog_scenario_keeps_its_machine_section() {
    let mm = crate::scenario::catalog::get("memtype-matrix").unwrap().unwrap();
    let pat = crate::scenario::run::l0_config(&mm.machine).unwrap().pat;
    let unchanged = ShareLink::for_edit("memtype-matrix", &mm.source, "kvm-merged", 5);
    assert_eq!((unchanged.program, unchanged.scenario), (LinkProgram::Catalog("memtype-matrix".into()), None));
    let edited = format!("{}\n; an edit\n", mm.source);
    let l = ShareLink::for_edit("memtype-matrix", &edited, "kvm-merged", 5);
    assert_eq!(l.scenario.as_deref(), Some("memtype-matrix"));
    let back = ShareLink::decode(&l.encode()).unwrap();
    assert_eq!(back, l);
    let (bytes, mem, l0) = back.setup().unwrap();
    assert_eq!((bytes, mem, l0.pat), (crate::scenario::run::assemble(&mm.source).unwrap(), mm.machine.mem_mib, pat));
    let e = ShareLink::decode(&ShareLink { scenario: Some("nope".into()), ..l }.encode()).unwrap_err().to_string();
    assert!(e.contains("scenario"), "{e}");
}
