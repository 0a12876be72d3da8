//! What `nestscope checkpoint inspect` shows: the header, registers per level, the VMCBs decoded
//! field by field, and a memory summary — the readable view of a binary v2 file (or of a v1 one).
#![warn(missing_docs)]
use super::container;
use super::format::CheckpointError;
use crate::cpu::regs::GPR_NAMES;
use crate::cpu::Regs;
use crate::machine::Machine;
use crate::mem::Hpa;
use crate::sim::Sim;
use crate::svm::vmcb;
use serde_json::{json, Map, Value};

fn hex(v: u64) -> Value {
    Value::String(format!("{v:#x}"))
}

fn regs_json(r: &Regs) -> Map<String, Value> {
    let mut o = Map::new();
    for (i, n) in GPR_NAMES.iter().enumerate() {
        o.insert((*n).into(), hex(r.gpr[i]));
    }
    o.insert("rip".into(), hex(r.rip));
    o.insert("rflags".into(), hex(r.rflags));
    o
}

/// The non-zero fields of the VMCB at `pa`, each with its APM name, raw value and decoding.
fn vmcb_json(m: &Machine, name: &str, pa: u64) -> Value {
    let fields = match vmcb::dump(&m.mem, Hpa(pa)) {
        Ok(f) => f,
        Err(_) => return json!({"name": name, "address": hex(pa), "error": "outside RAM"}),
    };
    let list: Vec<Value> = fields
        .iter()
        .filter(|(_, v)| match v {
            vmcb::FieldValue::Int(x) => *x != 0,
            vmcb::FieldValue::Seg(s) => (s.selector, s.attrib, s.limit, s.base) != (0, 0, 0, 0),
            vmcb::FieldValue::Bytes(b) => b.iter().any(|&x| x != 0),
        })
        .map(|(f, v)| json!({"field": f.apm_name, "offset": hex(f.offset as u64), "value": vmcb::decode_value(f, v)}))
        .collect();
    json!({"name": name, "address": hex(pa), "fields": list})
}

/// The inspection of a loaded run (`header`: what the file's header says).
pub fn describe(sim: &Sim, header: Value, program: Option<&[u8]>) -> Value {
    let m = sim.machine();
    let c = &m.cpu;
    let mut levels = Map::new();
    let mut l1 = regs_json(&sim.l1_regs());
    let current = {
        let mut o = regs_json(&c.regs);
        for (n, v) in [("cr0", c.ctl.cr0), ("cr2", c.ctl.cr2), ("cr3", c.ctl.cr3), ("cr4", c.ctl.cr4), ("efer", c.ctl.efer), ("pat", c.pat)] {
            o.insert(n.into(), hex(v));
        }
        o.insert("cpl".into(), json!(c.cpl));
        o
    };
    let level = sim.level().name();
    if level == "L2" {
        levels.insert("L2".into(), Value::Object(current));
    } else {
        l1 = current;
    }
    levels.insert("L1".into(), Value::Object(l1));
    let mut vmcbs = Vec::new();
    match sim {
        Sim::Hw(m) => {
            if let Some(g) = &m.svm.guest {
                vmcbs.push(vmcb_json(m, "VMCB (L1's, running L2)", g.vmcb_pa));
            }
        }
        Sim::Kvm(k) => {
            vmcbs.push(vmcb_json(&k.m, "vmcb01 (L0's, running L1)", k.layout.vmcb01));
            if let Some(n) = &k.nested {
                vmcbs.push(vmcb_json(&k.m, "vmcb02 (L0's, running L2)", k.layout.vmcb02));
                vmcbs.push(vmcb_json(&k.m, "vmcb12 (L1's)", n.vmcb12));
            }
        }
    }
    let (mut pages, mut bytes) = (0u64, 0u64);
    for (_, p) in m.mem.pages() {
        if p.iter().any(|&b| b != 0) {
            pages += 1;
            bytes += p.iter().filter(|&&b| b != 0).count() as u64;
        }
    }
    let mut o = json!({
        "header": header,
        "model": sim.model(),
        "steps": m.steps,
        "level": level,
        "stopped": m.stopped.as_ref().map(|s| s.name()),
        "registers": Value::Object(levels),
        "gif": m.svm.gif,
        "vmcbs": vmcbs,
        "memory": {"ram_bytes": m.mem.size(), "nonzero_pages": pages, "nonzero_bytes": bytes},
        "program_bytes": program.map(<[u8]>::len),
        "console_bytes": m.console.len(),
        "events": {"kept": m.events.iter().count(), "total": m.events.len()},
    });
    if let Sim::Kvm(k) = sim {
        o["l0"] = json!({
            "design": k.design.name(),
            "l1_mem_mib": k.layout.l1_mem >> 20,
            "pat": {"arch_pat": hex(k.pat.arch_pat), "vmcb01_gpat": hex(k.pat.vmcb01_gpat), "vmcb02_gpat": hex(k.pat.vmcb02_gpat)},
            "shadow_npt": {"pages_used": k.shadow.used, "protected": k.shadow.protected.len(), "fills": k.shadow.fills, "zaps": k.shadow.zaps},
        });
    }
    o
}

/// Loads `file` and describes it.
pub fn inspect(file: &[u8]) -> Result<Value, CheckpointError> {
    if !container::is_container(file) {
        let loaded = super::load(file)?;
        let header = json!({"format_version": 1, "file_bytes": file.len(), "encoding": "JSON"});
        return Ok(describe(&loaded.sim, header, None));
    }
    let p = super::v2::parse(file)?;
    let h = &p.header;
    let header = json!({
            "format_version": h.version,
            "producer": format!("{}.{}.{}", h.producer[0], h.producer[1], h.producer[2]),
            "compression": if h.flags & container::FLAG_DEFLATE != 0 { "deflate" } else { "none" },
            "mem_mib": h.mem_mib,
            "payload_bytes": h.raw_len,
            "stored_bytes": h.stored_len,
            "crc32": format!("{:08x}", h.crc32),
            "file_bytes": file.len(),
            "stored_pages": p.stored_pages,
            "stored_zero_pages": p.stored_zero_pages,
    });
    let sim = super::persist::sim_from_record(&p.record, p.mem)?;
    let mut o = describe(&sim, header, p.program.as_deref());
    // A kernel run: how the kernel (the recorded program) was booted.
    if let Some(b) = &p.record.boot {
        o["boot"] = json!({"kernel": "multiboot", "ram_mib": b.ram_mib, "cmdline": format!("{} {}", b.progname, b.append).trim_end()});
    }
    Ok(o)
}
