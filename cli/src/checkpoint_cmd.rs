//! `nestscope checkpoint inspect FILE [--json]`, and the file handling every checkpoint command
//! shares: reads bounded before they happen, writes to a temporary name then renamed (an
//! interrupted write never destroys the previous file).
use crate::args;
use crate::Failure;
use nestscope_core::checkpoint::{self, format::MAX_V1_BYTES};
use serde_json::Value;
use std::io::{Read, Write};

/// Largest checkpoint file read: a v1 document's limit (v2 files are far smaller for the same run).
pub const MAX_CHECKPOINT_FILE: u64 = MAX_V1_BYTES as u64;

/// Reads `path` if it has at most `max` bytes (never reads more than `max + 1`).
pub fn read_at_most(path: &str, max: u64) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| Failure::input(format!("cannot read {path}: {e}"));
    let f = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    f.take(max + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(Failure::input(format!("{path}: the file is larger than {max} bytes")));
    }
    Ok(bytes)
}

pub fn read_bounded(path: &str) -> Result<Vec<u8>, Failure> {
    read_at_most(path, MAX_CHECKPOINT_FILE)
}

/// Writes `data` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &str, data: &[u8]) -> Result<(), Failure> {
    let target = std::path::Path::new(path);
    // A device or pipe (`/dev/null`, `/dev/stdout`) is written in place: renaming over it would
    // replace the device node.
    if std::fs::metadata(target).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(target)
            .and_then(|mut f| f.write_all(data))
            .map_err(|e| Failure::input(format!("cannot write {path}: {e}")));
    }
    let name = target.file_name().ok_or_else(|| Failure::input(format!("cannot write {path}: not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = target.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::input(format!("cannot write {path}: {e}"))
    })
}

pub fn dispatch(argv: &[String]) -> Result<u8, Failure> {
    const USAGE: &str = "usage: nestscope checkpoint inspect CHECKPOINT [--json]";
    let Some((sub, rest)) = argv.split_first() else {
        return Err(Failure::input(USAGE));
    };
    match sub.as_str() {
        "inspect" => {
            let a = args::parse(rest, &[], &["json"])?;
            let path = a.one_file("CHECKPOINT")?;
            let bytes = read_bounded(path)?;
            let v = checkpoint::inspect::inspect(&bytes).map_err(|e| Failure::input(format!("{path}: {e}")))?;
            if a.flag("json") {
                println!("{v}");
            } else {
                print_inspection(&v);
            }
            Ok(0)
        }
        other => Err(Failure::input(format!("unknown checkpoint command `{}`; {USAGE}", args::safe(other)))),
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(t) => t.clone(),
        other => other.to_string(),
    }
}

fn print_inspection(v: &Value) {
    let h = &v["header"];
    print!("format v{}", h["format_version"]);
    if let Some(p) = h.get("producer") {
        print!(
            " (written by nestscope {}), {} bytes: {} stored ({}) from {} of payload, crc32 {}",
            s(p),
            h["file_bytes"],
            h["stored_bytes"],
            s(&h["compression"]),
            h["payload_bytes"],
            s(&h["crc32"])
        );
    } else {
        print!(", {} bytes of JSON", h["file_bytes"]);
    }
    println!();
    println!("model {}  steps {}  level {}  stopped {}", s(&v["model"]), v["steps"], s(&v["level"]), v["stopped"]);
    for level in ["L1", "L2"] {
        let Some(r) = v["registers"].get(level).and_then(Value::as_object) else { continue };
        println!("{level} registers:");
        let line: Vec<String> = r.iter().map(|(k, x)| format!("{k}={}", s(x))).collect();
        for chunk in line.chunks(6) {
            println!("  {}", chunk.join("  "));
        }
    }
    for vm in v["vmcbs"].as_array().into_iter().flatten() {
        println!("{} at {}:", s(&vm["name"]), s(&vm["address"]));
        for f in vm["fields"].as_array().into_iter().flatten() {
            println!("  {:<6} {:<16} {}", s(&f["offset"]), s(&f["field"]), s(&f["value"]));
        }
    }
    if let Some(l0) = v.get("l0") {
        println!("L0: {l0}");
    }
    let m = &v["memory"];
    print!("memory: {} bytes of RAM, {} non-zero pages ({} non-zero bytes)", m["ram_bytes"], m["nonzero_pages"], m["nonzero_bytes"]);
    if h.get("stored_pages").is_some() {
        print!("; the file stores {} pages and {} zeroed pages over the base", h["stored_pages"], h["stored_zero_pages"]);
    }
    println!();
    println!("program {} bytes, console {} bytes, events {} kept of {}", v["program_bytes"], v["console_bytes"], v["events"]["kept"], v["events"]["total"]);
}
