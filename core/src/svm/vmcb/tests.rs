//! Tests of the VMCB layer against independent copies of the reference layout tables (§1.2, §1.3).
use super::fields::{FIELDS, FieldValue, VmcbArea, decode_field, decode_value, dump, field};
use super::*;
use crate::mem::memtype::pat::PAT_POWER_ON;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Reference §1.2, rows pasted verbatim (notes column trimmed).
const REF_CONTROL: &str = "
| 0x000 | intercepts[0] CR | 4 |
| 0x004 | intercepts[1] DR | 4 |
| 0x008 | intercepts[2] exceptions | 4 |
| 0x00C | intercepts[3] (word 3) | 4 |
| 0x010 | intercepts[4] (word 4) | 4 |
| 0x014 | intercepts[5] (word 5) | 4 |
| 0x018 | reserved_1 | 36 |
| 0x03C | pause_filter_thresh | 2 |
| 0x03E | pause_filter_count | 2 |
| 0x040 | iopm_base_pa | 8 |
| 0x048 | msrpm_base_pa | 8 |
| 0x050 | tsc_offset | 8 |
| 0x058 | asid | 4 |
| 0x05C | tlb_ctl | 1 |
| 0x05D | erap_ctl | 1 |
| 0x05E | reserved_2 | 2 |
| 0x060 | int_ctl | 4 |
| 0x064 | int_vector | 4 |
| 0x068 | int_state | 4 |
| 0x06C | reserved_3 | 4 |
| 0x070 | exit_code | 8 |
| 0x078 | exit_info_1 | 8 |
| 0x080 | exit_info_2 | 8 |
| 0x088 | exit_int_info | 4 |
| 0x08C | exit_int_info_err | 4 |
| 0x090 | misc_ctl (was nested_ctl) | 8 |
| 0x098 | avic_vapic_bar | 8 |
| 0x0A0 | ghcb_gpa | 8 |
| 0x0A8 | event_inj | 4 |
| 0x0AC | event_inj_err | 4 |
| 0x0B0 | nested_cr3 (nCR3) | 8 |
| 0x0B8 | misc_ctl2 (was virt_ext/lbr_ctl) | 8 |
| 0x0C0 | clean | 4 |
| 0x0C4 | reserved_5 | 4 |
| 0x0C8 | next_rip | 8 |
| 0x0D0 | insn_len | 1 |
| 0x0D1 | insn_bytes | 15 |
| 0x0E0 | avic_backing_page | 8 |
| 0x0E8 | reserved_6 | 8 |
| 0x0F0 | avic_logical_id | 8 |
| 0x0F8 | avic_physical_id | 8 |
| 0x100 | reserved_7 | 8 |
| 0x108 | vmsa_pa | 8 |
| 0x110 | reserved_8 | 16 |
| 0x120 | bus_lock_counter | 2 |
| 0x122 | reserved_9 | 22 |
| 0x138 | allowed_sev_features | 8 |
| 0x140 | guest_sev_features | 8 |
";

/// Reference §1.3, rows pasted verbatim (save offset, VMCB offset, field, size).
const REF_SAVE: &str = "
| 0x000 | 0x400 | es | 16 |
| 0x010 | 0x410 | cs | 16 |
| 0x020 | 0x420 | ss | 16 |
| 0x030 | 0x430 | ds | 16 |
| 0x040 | 0x440 | fs | 16 |
| 0x050 | 0x450 | gs | 16 |
| 0x060 | 0x460 | gdtr | 16 |
| 0x070 | 0x470 | ldtr | 16 |
| 0x080 | 0x480 | idtr | 16 |
| 0x090 | 0x490 | tr | 16 |
| 0x0A0 | 0x4A0 | reserved | 42 |
| 0x0CA | 0x4CA | vmpl | 1 |
| 0x0CB | 0x4CB | cpl | 1 |
| 0x0CC | 0x4CC | reserved | 4 |
| 0x0D0 | 0x4D0 | efer | 8 |
| 0x0D8 | 0x4D8 | reserved | 112 |
| 0x148 | 0x548 | cr4 | 8 |
| 0x150 | 0x550 | cr3 | 8 |
| 0x158 | 0x558 | cr0 | 8 |
| 0x160 | 0x560 | dr7 | 8 |
| 0x168 | 0x568 | dr6 | 8 |
| 0x170 | 0x570 | rflags | 8 |
| 0x178 | 0x578 | rip | 8 |
| 0x180 | 0x580 | reserved | 88 |
| 0x1D8 | 0x5D8 | rsp | 8 |
| 0x1E0 | 0x5E0 | s_cet | 8 |
| 0x1E8 | 0x5E8 | ssp | 8 |
| 0x1F0 | 0x5F0 | isst_addr | 8 |
| 0x1F8 | 0x5F8 | rax | 8 |
| 0x200 | 0x600 | star | 8 |
| 0x208 | 0x608 | lstar | 8 |
| 0x210 | 0x610 | cstar | 8 |
| 0x218 | 0x618 | sfmask | 8 |
| 0x220 | 0x620 | kernel_gs_base | 8 |
| 0x228 | 0x628 | sysenter_cs | 8 |
| 0x230 | 0x630 | sysenter_esp | 8 |
| 0x238 | 0x638 | sysenter_eip | 8 |
| 0x240 | 0x640 | cr2 | 8 |
| 0x248 | 0x648 | reserved | 32 |
| **0x268** | **0x668** | **g_pat** | 8 |
| 0x270 | 0x670 | dbgctl | 8 |
| 0x278 | 0x678 | br_from | 8 |
| 0x280 | 0x680 | br_to | 8 |
| 0x288 | 0x688 | last_excp_from | 8 |
| 0x290 | 0x690 | last_excp_to | 8 |
| 0x298 | 0x698 | reserved | 72 |
| 0x2E0 | 0x6E0 | spec_ctrl | 8 |
";

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim().trim_matches('*').trim_start_matches("0x"), 16).unwrap()
}

/// (VMCB offset, our field name, size) of every named row; reserved rows dropped.
fn reference_rows() -> Vec<(u64, String, u64)> {
    const INTERCEPTS: [&str; 6] = [
        "intercept_cr",
        "intercept_dr",
        "intercept_exceptions",
        "intercept_word3",
        "intercept_word4",
        "intercept_word5",
    ];
    let mut out = Vec::new();
    for l in REF_CONTROL.lines().filter(|l| l.starts_with('|')) {
        let c: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
        let name = c[1].split_whitespace().next().unwrap();
        let name = match name.strip_prefix("intercepts[") {
            Some(rest) => INTERCEPTS[rest[..1].parse::<usize>().unwrap()].to_string(),
            None => name.to_string(),
        };
        if !name.starts_with("reserved") {
            out.push((hex(c[0]), name, c[2].parse().unwrap()));
        }
    }
    for l in REF_SAVE.lines().filter(|l| l.starts_with('|')) {
        let c: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(hex(c[0]) + 0x400, hex(c[1]));
        let name = c[2].trim_matches('*');
        if name != "reserved" {
            out.push((hex(c[1]), name.to_string(), c[3].parse().unwrap()));
        }
    }
    // §1.2 note / §7.4: PML_BASE at 0x1C8, PML_INDEX at 0x1D0 (size of the index: model choice).
    out.push((0x1C8, "pml_addr".into(), 8));
    out.push((0x1D0, "pml_index".into(), 2));
    out
}

#[test]
fn field_table_matches_reference_layout() {
    let rows = reference_rows();
    assert_eq!(rows.len(), FIELDS.len());
    for (off, name, size) in &rows {
        let f = field(name).unwrap_or_else(|| panic!("{name} missing from FIELDS"));
        assert_eq!((f.offset as u64, f.size as u64), (*off, *size), "{name}");
        assert_eq!(f.area, if *off < 0x400 { VmcbArea::Control } else { VmcbArea::Save });
    }
    // offset order, no overlaps
    for w in FIELDS.windows(2) {
        assert!(w[0].offset + w[0].size as u16 <= w[1].offset, "{} overlaps {}", w[0].name, w[1].name);
    }
}

#[test]
fn round_trip_preserves_every_field_and_no_reserved_byte() {
    let mut m = PhysMem::new(0x4000);
    let (a, b) = (Hpa(0x1000), Hpa(0x3000));
    for (k, f) in FIELDS.iter().enumerate() {
        let bytes: Vec<u8> = (0..f.size).map(|i| (k as u8).wrapping_mul(7).wrapping_add(i) | 1).collect();
        m.write(a.add(f.offset as u64), &bytes).unwrap();
    }
    let v = Vmcb::read_from(&m, a).unwrap();
    v.write_to(&mut m, b).unwrap();
    let (mut pa, mut pb) = ([0u8; 4096], [0u8; 4096]);
    m.read(a, &mut pa).unwrap();
    m.read(b, &mut pb).unwrap();
    assert_eq!(pa, pb);
}

#[test]
fn raw_offsets_of_key_fields() {
    let mut m = PhysMem::new(0x2000);
    let base = Hpa(0x1000);
    let mut v = Vmcb::default();
    v.save.g_pat = 0x0007_0406_0007_0404;
    v.control.exit_code = u64::MAX;
    v.control.nested_cr3 = 0x1234_5000;
    v.control.set_np_enable(true);
    v.control.set_event_inj_u64(0x0000_0002_8000_0B0E);
    v.control.intercept_word4 = 1;
    v.save.cs = VmcbSeg { selector: 0x10, attrib: 0x29B, limit: 0xFFFF_FFFF, base: 0xAB };
    v.save.efer = 0x1D01;
    v.write_to(&mut m, base).unwrap();
    assert_eq!(m.read_u64(Hpa(0x1668)).unwrap(), 0x0007_0406_0007_0404);
    assert_eq!(m.read_u64(Hpa(0x1070)).unwrap(), u64::MAX);
    assert_eq!(m.read_u64(Hpa(0x10B0)).unwrap(), 0x1234_5000);
    assert_eq!(m.read_u64(Hpa(0x1090)).unwrap(), 1);
    assert_eq!(m.read_u32(Hpa(0x10A8)).unwrap(), 0x8000_0B0E);
    assert_eq!(m.read_u32(Hpa(0x10AC)).unwrap(), 2);
    assert_eq!(m.read_u32(Hpa(0x1010)).unwrap(), 1);
    assert_eq!(m.read_u16(Hpa(0x1410)).unwrap(), 0x10);
    assert_eq!(m.read_u16(Hpa(0x1412)).unwrap(), 0x29B);
    assert_eq!(m.read_u64(Hpa(0x1418)).unwrap(), 0xAB);
    assert_eq!(m.read_u64(Hpa(0x14D0)).unwrap(), 0x1D01);
    // and back
    m.write_u64(Hpa(0x1668), PAT_POWER_ON).unwrap();
    assert_eq!(VmcbSave::read_from(&m, base).unwrap().g_pat, PAT_POWER_ON);
    assert!(VmcbControl::read_from(&m, base).unwrap().np_enable());
    assert!(VmcbSave::read_from(&m, Hpa(0x1A00)).is_err()); // save area would end past RAM
}

#[test]
fn dump_and_decode() {
    let mut m = PhysMem::new(0x2000);
    let mut v = Vmcb::default();
    v.save.g_pat = PAT_POWER_ON;
    v.control.exit_code = 0x400;
    v.control.misc_ctl = 1;
    v.control.intercept_word3 = 1 << 28 | 1 << 27;
    v.control.intercept_word4 = 1;
    v.control.insn_bytes[0] = 0x0F;
    v.save.efer = 0x1500;
    v.write_to(&mut m, Hpa(0)).unwrap();
    let d = dump(&m, Hpa(0)).unwrap();
    assert_eq!(d.len(), FIELDS.len());
    let get = |n: &str| d.iter().find(|(f, _)| f.name == n).unwrap();
    let (f, val) = get("g_pat");
    assert_eq!(*val, FieldValue::Int(PAT_POWER_ON));
    assert_eq!(decode_value(f, val), "WB WT UC- UC WB WT UC- UC");
    assert_eq!(decode_field("exit_code", 0x400), "VMEXIT_NPF");
    assert_eq!(decode_field("EXITCODE", u64::MAX), "VMEXIT_INVALID");
    assert_eq!(decode_field("misc_ctl", 1), "NP_ENABLE");
    assert_eq!(decode_field("intercept_word3", 1 << 28 | 1 << 27), "IOIO_PROT MSR_PROT");
    assert_eq!(decode_field("intercept_word4", 1), "VMRUN");
    assert_eq!(decode_field("intercept_exceptions", 1 << 14), "EXCEPTION14");
    assert_eq!(decode_field("efer", 0x1500), "LME LMA SVME");
    assert_eq!(decode_field("event_inj", 0x8000_0B0E | 2 << 32), "V exception #PF(14) err=0x2");
    assert_eq!(decode_field("clean", 1 << 4), "NP");
    assert_eq!(decode_field("N_CR3", 0x5018), "table 0x5000 PWT PCD");
    let (f, val) = get("insn_bytes");
    assert!(decode_value(f, val).starts_with("0f 00"));
    let (f, val) = get("cs");
    assert!(matches!(val, FieldValue::Seg(_)));
    assert!(decode_value(f, val).starts_with("sel=0x0000"));
    assert!(serde_json::to_string(&d).unwrap().contains("\"G_PAT\""));
}

#[test]
fn field_groups_follow_the_apm_tables() {
    use super::fields::{VmcbGroup, field, field_at, set_intercepts};
    // App. B Table B-1 / B-2 and the chapter 15 sections that describe each field.
    for (name, g) in [
        ("intercept_word3", VmcbGroup::Intercepts),
        ("msrpm_base_pa", VmcbGroup::PermissionMaps),
        ("iopm_base_pa", VmcbGroup::PermissionMaps),
        ("asid", VmcbGroup::AsidTlb),
        ("tlb_ctl", VmcbGroup::AsidTlb),
        ("int_ctl", VmcbGroup::InterruptControl),
        ("event_inj", VmcbGroup::InterruptControl),
        ("exit_code", VmcbGroup::ExitInfo),
        ("next_rip", VmcbGroup::ExitInfo),
        ("misc_ctl", VmcbGroup::NestedPaging),
        ("nested_cr3", VmcbGroup::NestedPaging),
        ("g_pat", VmcbGroup::NestedPaging),
        ("cr3", VmcbGroup::SaveArea),
        ("tsc_offset", VmcbGroup::OtherControl),
    ] {
        assert_eq!(VmcbGroup::of(field(name).unwrap()), g, "{name}");
    }
    // MSR_PROT is intercept vector 3 (VMCB+0x00C) bit 28 = intercept 124; IOIO_PROT bit 27 = 123.
    let w3 = field("intercept_word3").unwrap();
    let bits: Vec<u32> = set_intercepts(w3, 3 << 27).unwrap().into_iter().map(|(b, _)| b).collect();
    assert_eq!(bits, [123, 124]);
    assert_eq!(set_intercepts(w3, 1 << 28).unwrap()[0].1.map(|i| i.name()), Some("MSR_PROT"));
    assert!(set_intercepts(field("asid").unwrap(), 1).is_none());
    // G_PAT's eight bytes at 0x668..0x670; 0x670 is DBGCTL.
    assert_eq!(field_at(0x66F).map(|f| f.name), Some("g_pat"));
    assert_eq!(field_at(0x670).map(|f| f.name), Some("dbgctl"));
    assert_eq!(field_at(0x018), None, "reserved");
}
