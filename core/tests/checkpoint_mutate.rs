//! A structure-aware mutator over real checkpoints, in the normal test run (bounded, fixed seed):
//! raw damage (truncation, bit flips, inserted and deleted bytes) and, with the checksum
//! recomputed so the importer has to look deeper, changed record values, resized sections, page
//! entries moved, repeated or re-kinded, and huge declared lengths. Every mutant must be refused
//! with a one-line message, or load and run (and save and load again); none may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]
#![allow(clippy::cast_possible_truncation, reason = "test programs and fixtures narrow values deliberately")]
use nestscope_core::checkpoint::{self, container};
use nestscope_core::scenario::{catalog, run};
use nestscope_core::sim::Sim;
use nestscope_core::trace::Level;
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A small deterministic generator (SplitMix64) for choosing mutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Real checkpoints: several scenarios and models, mid-run and in L2.
fn corpus() -> Vec<Vec<u8>> {
    let mut out = vec![
        include_bytes!("data/checkpoint/v2/hello-vmrun-bare-l2.nsc").to_vec(),
        include_bytes!("data/checkpoint/v2/hello-vmrun-kvm-merged-l2.nsc").to_vec(),
        include_bytes!("data/checkpoint/v2/probe-kernel-bare-mid.nsc").to_vec(),
        include_bytes!("data/checkpoint/v2/probe-kernel-kvm-merged-mid.nsc").to_vec(),
    ];
    for (name, models) in [
        ("hello", &["bare"][..]),
        ("npf", &["bare", "kvm-merged"][..]),
        ("problem2-l2-pat-msr", &["bare-swap", "kvm-rfc"][..]),
        ("intercepts", &["bare-qemu", "kvm-swap"][..]),
    ] {
        let sc = catalog::get(name).unwrap().unwrap();
        let p = run::assemble(&sc.source).unwrap();
        for model in models {
            let mut s = Sim::new(&p, sc.machine.mem_mib, model.parse().unwrap(), &Default::default()).unwrap();
            for _ in 0..400 {
                if s.level() == Level::L2 || s.machine().stopped.is_some() {
                    break;
                }
                s.run(s.machine().steps + 1).unwrap();
            }
            out.push(checkpoint::save(&s, Some(&p)));
        }
    }
    out
}

/// Every number and boolean in `v`, as JSON pointers.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| leaves(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
        Value::Number(_) | Value::Bool(_) | Value::Null => out.push(at),
        Value::String(_) => out.push(at),
    }
}

const INTERESTING: [u64; 12] = [0, 1, 2, 3, 4, 0x1000, 0xfff, 0x3fff_ffff, 0x400_0000, 1 << 63, u64::MAX, u64::MAX - 7];

fn mutate_state(state: &[u8], r: &mut Rng) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(state).unwrap();
    let mut ls = Vec::new();
    leaves(&v, String::new(), &mut ls);
    for _ in 0..1 + r.below(3) {
        let p = &ls[r.below(ls.len())];
        let Some(x) = v.pointer_mut(p) else { continue };
        let new = match r.below(6) {
            0 => Value::from(INTERESTING[r.below(INTERESTING.len())]),
            1 => Value::from(r.next() >> r.below(64)),
            2 => match &*x {
                Value::Bool(b) => Value::Bool(!*b),
                Value::Number(n) => Value::from(n.as_u64().unwrap_or(0) ^ (1 << r.below(64))),
                other => other.clone(),
            },
            3 => Value::Null,
            4 => Value::from("bare\n\u{1b}[31m"),
            _ => Value::from(-1),
        };
        *x = new;
    }
    if r.below(4) == 0 {
        // Drop a top-level key or add an unknown one.
        if let Value::Object(m) = &mut v {
            let keys: Vec<String> = m.keys().cloned().collect();
            if r.below(2) == 0 {
                m.remove(&keys[r.below(keys.len())]);
            } else {
                m.insert("surprise".into(), Value::from(1));
            }
        }
    }
    serde_json::to_vec(&v).unwrap()
}

/// Payload offsets: (state end, program end) from the section lengths.
fn sections(raw: &[u8]) -> (usize, usize) {
    let sl = u32::from_le_bytes(raw[0..4].try_into().unwrap()) as usize;
    let pl = u32::from_le_bytes(raw[4 + sl..8 + sl].try_into().unwrap()) as usize;
    (4 + sl, 8 + sl + pl)
}

fn mutate_payload(raw: &[u8], r: &mut Rng) -> Vec<u8> {
    let (state_end, program_end) = sections(raw);
    let mut out = raw.to_vec();
    match r.below(8) {
        0..=2 => {
            let state = mutate_state(&raw[4..state_end], r);
            out = (state.len() as u32).to_le_bytes().to_vec();
            out.extend_from_slice(&state);
            out.extend_from_slice(&raw[state_end..]);
        }
        3 => {
            // A section length off by a little or a lot.
            let at = [0, state_end, program_end][r.below(3)];
            let v = u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
            let nv = [v.wrapping_add(1), v.wrapping_sub(1), u32::MAX, v.wrapping_add(4096), 0][r.below(5)];
            out[at..at + 4].copy_from_slice(&nv.to_le_bytes());
        }
        4 => {
            // A page entry's number or kind changed.
            if out.len() > program_end + 9 {
                let at = program_end + 4 + r.below(2) * 4;
                out[at] = [0, 1, 2, 0xff][r.below(4)];
            }
        }
        5 => {
            // The page section repeated (duplicate pages, wrong count).
            let pages = raw[program_end..].to_vec();
            out.extend_from_slice(&pages[4..]);
        }
        6 => out.truncate(r.below(out.len())),
        _ => {
            let at = r.below(out.len());
            out[at] ^= 1 << r.below(8);
        }
    }
    out
}

fn mutate(file: &[u8], r: &mut Rng) -> Vec<u8> {
    let (h, raw) = container::open(file).unwrap();
    match r.below(10) {
        // Raw damage: the checksum or a bound catches it.
        0 => file[..r.below(file.len())].to_vec(),
        1 => {
            let mut f = file.to_vec();
            let at = r.below(f.len());
            f[at] ^= 1 << r.below(8);
            f
        }
        2 => {
            let mut f = file.to_vec();
            let at = r.below(f.len());
            f.insert(at, r.next() as u8);
            f
        }
        // Declared memory size changed, checksum fixed.
        3 => container::seal(&raw, [2, 3, 4096, h.mem_mib / 2, h.mem_mib + 1][r.below(5)]),
        // Deeper: a changed payload, resealed.
        _ => container::seal(&mutate_payload(&raw, r), h.mem_mib),
    }
}

#[test]
fn every_mutation_is_refused_with_a_message_or_loads_and_runs() {
    let corpus = corpus();
    // Longer runs: NESTSCOPE_MUTANTS=100000 NESTSCOPE_MUTANT_SEED=7 cargo test … --test checkpoint_mutate
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse().ok());
    let mut r = Rng(env("NESTSCOPE_MUTANT_SEED").unwrap_or(0x6e65_7374_7363_6f70));
    let cases: usize = env("NESTSCOPE_MUTANTS").map_or(1500, |n: u64| n as usize);
    let (mut refused, mut loaded) = (0, 0);
    for i in 0..cases {
        let seed = &corpus[i % corpus.len()];
        let m = mutate(seed, &mut r);
        let outcome = catch_unwind(AssertUnwindSafe(|| match checkpoint::load(&m) {
            Err(e) => {
                let t = e.to_string();
                assert!(t.starts_with("invalid checkpoint: ") && !t.chars().any(char::is_control) && t.len() < 400, "case {i}: {t:?}");
                false
            }
            Ok(l) => {
                let mut sim = l.sim;
                let at = sim.machine().steps;
                // Runs (an emulator error is a value, not a panic), then saves and loads again.
                let _ = sim.run(at.saturating_add(2000));
                let again = checkpoint::save(&sim, l.program.as_deref());
                checkpoint::load(&again).unwrap_or_else(|e| panic!("case {i}: a loaded mutant saved again is refused: {e}"));
                true
            }
        }));
        match outcome {
            Ok(true) => loaded += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!("case {i}: panicked (mutant of corpus file {})", i % corpus.len()),
        }
    }
    eprintln!("{cases} mutants: {refused} refused, {loaded} loaded and ran");
    assert_eq!(refused + loaded, cases);
    // The mutator reaches both outcomes (it is not only producing garbage the CRC catches).
    assert!(loaded > cases / 50, "{loaded} of {cases} mutants loaded");
    assert!(refused > cases / 4, "{refused} of {cases} mutants refused");
}

/// Writes the seed corpus of the `checkpoint` fuzz target (fuzz/README.md): each real checkpoint
/// whole, and its decompressed payload (which the target seals itself).
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("NESTSCOPE_FUZZ_SEEDS") else { return };
    std::fs::create_dir_all(&dir).unwrap();
    for (i, f) in corpus().iter().enumerate() {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join(format!("file-{i}")), f).unwrap();
        std::fs::write(dir.join(format!("payload-{i}")), container::open(f).unwrap().1).unwrap();
    }
}
