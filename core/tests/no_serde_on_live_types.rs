//! Persisted state is plain record types (checkpoint/records, the `XxxState` beside a device):
//! no live type of the machine derives `Deserialize`, so the checkpoint format cannot change when
//! a live struct does (issue 15). Scans the core's sources for the derive.
#![allow(clippy::unwrap_used)]
use std::path::Path;

/// Files whose types are read from outside: checkpoint records, scenario files, share links, the
/// model name, and the device records kept beside their devices (`ApicState`, `UartState`).
const ALLOWED: &[&str] = &["checkpoint/", "scenario/format.rs", "share.rs", "model.rs", "devices/apic.rs", "devices/uart.rs"];

fn scan(dir: &Path, root: &Path, found: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scan(&p, root, found);
            continue;
        }
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if !rel.ends_with(".rs") || ALLOWED.iter().any(|a| rel.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("derive(") && line.contains("Deserialize") {
                found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
        }
    }
}

#[test]
fn no_live_type_derives_deserialize() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    scan(&root, &root, &mut found);
    assert!(found.is_empty(), "live types deriving Deserialize (persist them through a record):\n{}", found.join("\n"));
    // The scan sees derives: the device records it allows do have one.
    let apic = std::fs::read_to_string(root.join("devices/apic.rs")).unwrap();
    assert!(apic.lines().any(|l| l.contains("derive(") && l.contains("Deserialize")));
}
