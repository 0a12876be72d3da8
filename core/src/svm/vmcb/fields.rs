//! The VMCB field table (reference §1.2/§1.3): every named field with offset, size, meaning and
//! APM section (generated with the layout of `control.rs`/`save.rs`), plus value decoding and
//! `dump`, used by the UI and the checkpoint dump.
use super::{VmcbControl, VmcbSave, VmcbSeg, control};
use crate::cpu::control::{cr0, cr4, efer};
use crate::mem::memtype::pat::describe_pat;
use crate::mem::phys::OutOfRange;
use crate::mem::{Hpa, PhysMem};
use crate::svm::exit_code::SvmExitCode;
use crate::svm::exit_table::Intercept;
use crate::svm::intercept::EventInj;
use serde::{Serialize, Serializer};

/// Which VMCB area a field is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VmcbArea {
    Control,
    Save,
}

/// One named VMCB field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VmcbField {
    /// Linux-style name, identical to the `VmcbControl` / `VmcbSave` field name.
    pub name: &'static str,
    /// The APM's name for it (e.g. "G_PAT", "N_CR3", "EXITCODE").
    pub apm_name: &'static str,
    /// VMCB byte offset (save-area fields include the 0x400).
    pub offset: u16,
    /// Size in bytes (segments are 16: selector, attrib, limit, base).
    pub size: u8,
    pub area: VmcbArea,
    pub meaning: &'static str,
    pub apm_section: &'static str,
}

const N_FIELDS: usize = VmcbControl::FIELDS.len() + VmcbSave::FIELDS.len();

/// Every named field of reference §1.2 (control) and §1.3 (state save), in offset order: the
/// control area's then the save area's `FIELDS`, generated with the layout (`vmcb_area!`).
pub static FIELDS: [VmcbField; N_FIELDS] = {
    let (c, s) = (VmcbControl::FIELDS, VmcbSave::FIELDS);
    let mut out = [c[0]; N_FIELDS];
    let mut i = 0;
    while i < N_FIELDS {
        out[i] = if i < c.len() { c[i] } else { s[i - c.len()] };
        i += 1;
    }
    out
};

/// The field with this name (Linux or APM spelling, case-insensitive).
pub fn field(name: &str) -> Option<&'static VmcbField> {
    FIELDS.iter().find(|f| f.name.eq_ignore_ascii_case(name) || f.apm_name.eq_ignore_ascii_case(name))
}

/// A field's value as read from memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldValue {
    Int(u64),
    Seg(VmcbSeg),
    Bytes(Vec<u8>),
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Int(v) => ser.serialize_u64(*v),
            FieldValue::Seg(sg) => sg.serialize(ser),
            FieldValue::Bytes(b) => b.serialize(ser),
        }
    }
}

/// Reads one field of the VMCB at `vmcb`.
pub fn read_field(mem: &PhysMem, vmcb: Hpa, f: &VmcbField) -> Result<FieldValue, OutOfRange> {
    let a = vmcb.add(f.offset as u64);
    Ok(match f.size {
        1 => FieldValue::Int(mem.read_u8(a)? as u64),
        2 => FieldValue::Int(mem.read_u16(a)? as u64),
        4 => FieldValue::Int(mem.read_u32(a)? as u64),
        8 => FieldValue::Int(mem.read_u64(a)?),
        16 => FieldValue::Seg(VmcbSeg {
            selector: mem.read_u16(a)?,
            attrib: mem.read_u16(a.add(2))?,
            limit: mem.read_u32(a.add(4))?,
            base: mem.read_u64(a.add(8))?,
        }),
        n => {
            let mut b = vec![0u8; n as usize];
            mem.read(a, &mut b)?;
            FieldValue::Bytes(b)
        }
    })
}

/// Every field of the VMCB at `vmcb` with its value, in table order.
pub fn dump(mem: &PhysMem, vmcb: Hpa) -> Result<Vec<(&'static VmcbField, FieldValue)>, OutOfRange> {
    FIELDS.iter().map(|f| Ok((f, read_field(mem, vmcb, f)?))).collect()
}

fn intercept_word(v: u64, base: u32) -> String {
    let names: Vec<&str> = (0..32)
        .filter(|b| v >> b & 1 == 1)
        .map(|b| Intercept::from_bit(base + b).map_or("RESERVED", Intercept::name))
        .collect();
    if names.is_empty() { "none".into() } else { names.join(" ") }
}

fn named_bits(v: u64, names: &[(u32, &str)]) -> String {
    let table: Vec<(u64, &str)> = names.iter().map(|&(b, n)| (1u64 << b, n)).collect();
    bit_names(v, &table)
}

/// Explains a scalar value of the named field: intercept bits by name, exit codes, EFER/CR0/CR4
/// bits, NP_ENABLE, EVENTINJ/EXITINTINFO, G_PAT as eight memory types, … Unknown fields → hex.
pub fn decode_field(name: &str, v: u64) -> String {
    let Some(f) = field(name) else { return format!("{v:#x}") };
    match f.name {
        "intercept_cr" => intercept_word(v, 0),
        "intercept_dr" => intercept_word(v, 32),
        "intercept_exceptions" => intercept_word(v, 64),
        "intercept_word3" => intercept_word(v, 96),
        "intercept_word4" => intercept_word(v, 128),
        "intercept_word5" => intercept_word(v, 160),
        "iopm_base_pa" | "msrpm_base_pa" => format!("map at {:#x} (bits 11:0 ignored)", v & !0xFFF),
        "asid" if v == 0 => "0 (illegal)".into(),
        "tlb_ctl" => match v as u8 {
            control::TLB_CONTROL_DO_NOTHING => "DO_NOTHING".into(),
            control::TLB_CONTROL_FLUSH_ALL_ASID => "FLUSH_ALL_ASID".into(),
            control::TLB_CONTROL_FLUSH_ASID => "FLUSH_ASID".into(),
            control::TLB_CONTROL_FLUSH_ASID_LOCAL => "FLUSH_ASID_LOCAL".into(),
            _ => format!("reserved {v:#x}"),
        },
        "int_ctl" => {
            let flags = named_bits(
                v & !0xF_000F,
                &[
                    (8, "V_IRQ"),
                    (9, "V_GIF"),
                    (11, "V_NMI_PENDING"),
                    (12, "V_NMI_BLOCKING"),
                    (20, "V_IGN_TPR"),
                    (24, "V_INTR_MASKING"),
                    (25, "V_GIF_ENABLE"),
                    (26, "V_NMI_ENABLE"),
                    (30, "X2APIC_MODE"),
                    (31, "AVIC_ENABLE"),
                ],
            );
            format!("V_TPR={} V_INTR_PRIO={} {flags}", v & 0xF, (v >> 16) & 0xF)
        }
        "int_state" => named_bits(v, &[(0, "INTERRUPT_SHADOW"), (1, "GUEST_INTERRUPT_MASK")]),
        "exit_code" => SvmExitCode(v).name().into(),
        "exit_int_info" | "event_inj" => EventInj::decode(v).describe(),
        "misc_ctl" => named_bits(
            v,
            &[(0, "NP_ENABLE"), (1, "SEV"), (2, "SEV-ES"), (3, "GMET"), (4, "SSS"), (6, "ROGPT"), (11, "PML")],
        ),
        "misc_ctl2" => named_bits(v, &[(0, "V_LBR"), (1, "V_VMLOAD_VMSAVE")]),
        "nested_cr3" | "cr3" => {
            let pwt = if v & 8 != 0 { " PWT" } else { "" };
            let pcd = if v & 16 != 0 { " PCD" } else { "" };
            format!("table {:#x}{pwt}{pcd}", v & 0x000F_FFFF_FFFF_F000)
        }
        "clean" => {
            let names: Vec<(u32, &str)> = control::CLEAN_BITS.to_vec();
            named_bits(v, &names)
        }
        "insn_len" => format!("{} bytes", v & 0xF),
        "efer" => bit_names(v, &efer::NAMES),
        "cr0" => bit_names(v, &cr0::NAMES),
        "cr4" => bit_names(v, &cr4::NAMES),
        "g_pat" => describe_pat(v),
        _ => format!("{v:#x}"),
    }
}

/// Explains any field value (segments as "sel=… attrib=… limit=… base=…", bytes as hex).
pub fn decode_value(f: &VmcbField, v: &FieldValue) -> String {
    match v {
        FieldValue::Int(x) => decode_field(f.name, *x),
        FieldValue::Seg(sg) => {
            format!("sel={:#06x} attrib={:#06x} limit={:#x} base={:#x}", sg.selector, sg.attrib, sg.limit, sg.base)
        }
        FieldValue::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" "),
    }
}

/// Names of the set bits of `v` according to `names`, space-separated; leftover bits as hex.
pub fn bit_names(v: u64, names: &[(u64, &str)]) -> String {
    let mut out: Vec<String> = names.iter().filter(|(m, _)| v & m != 0).map(|(_, n)| n.to_string()).collect();
    let rest = names.iter().fold(v, |r, (m, _)| r & !m);
    if rest != 0 {
        out.push(format!("other={rest:#x}"));
    }
    if out.is_empty() { "-".to_string() } else { out.join(" ") }
}

/// The groups of VMCB fields as the APM presents them (vol.2 Appendix B Table B-1 for the control
/// area, Table B-2 for the state-save area, each group described in its chapter 15 section).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum VmcbGroup {
    /// The intercept vectors and the PAUSE filter (APM 15.9, 15.12, 15.14.4).
    Intercepts,
    /// IOPM_BASE_PA and MSRPM_BASE_PA (APM 15.10.1, 15.11).
    PermissionMaps,
    /// Guest ASID and TLB_CONTROL (APM 15.16).
    AsidTlb,
    /// Virtual interrupt control, the interrupt shadow and EVENTINJ (APM 15.20, 15.21).
    InterruptControl,
    /// EXITCODE, EXITINFO1/2, EXITINTINFO, nRIP and the fetched instruction bytes (APM 15.6, 15.7).
    ExitInfo,
    /// NP_ENABLE, N_CR3 and the guest PAT G_PAT (APM 15.25).
    NestedPaging,
    /// The rest of the control area: TSC offset, LBR/VMLOAD virtualization, clean bits, AVIC, SEV.
    OtherControl,
    /// The state-save area (APM 15.5, Table B-2), G_PAT excepted.
    SaveArea,
}

impl VmcbGroup {
    /// Every group, in the order shown.
    pub const ALL: [VmcbGroup; 8] = [
        VmcbGroup::Intercepts,
        VmcbGroup::PermissionMaps,
        VmcbGroup::AsidTlb,
        VmcbGroup::InterruptControl,
        VmcbGroup::ExitInfo,
        VmcbGroup::NestedPaging,
        VmcbGroup::OtherControl,
        VmcbGroup::SaveArea,
    ];

    /// The group's title.
    pub fn title(self) -> &'static str {
        match self {
            VmcbGroup::Intercepts => "Intercepts",
            VmcbGroup::PermissionMaps => "IOPM / MSRPM",
            VmcbGroup::AsidTlb => "ASID / TLB control",
            VmcbGroup::InterruptControl => "Interrupt control",
            VmcbGroup::ExitInfo => "Exit information",
            VmcbGroup::NestedPaging => "Nested paging",
            VmcbGroup::OtherControl => "Other control fields",
            VmcbGroup::SaveArea => "State-save area",
        }
    }

    /// Where the APM describes the group.
    pub fn section(self) -> &'static str {
        match self {
            VmcbGroup::Intercepts => "15.9, 15.12, App. B Table B-1",
            VmcbGroup::PermissionMaps => "15.10.1, 15.11",
            VmcbGroup::AsidTlb => "15.16",
            VmcbGroup::InterruptControl => "15.20, 15.21",
            VmcbGroup::ExitInfo => "15.6, 15.7",
            VmcbGroup::NestedPaging => "15.25",
            VmcbGroup::OtherControl => "App. B Table B-1",
            VmcbGroup::SaveArea => "15.5, App. B Table B-2",
        }
    }

    /// The group of a field.
    pub fn of(f: &VmcbField) -> VmcbGroup {
        match f.name {
            "intercept_cr" | "intercept_dr" | "intercept_exceptions" | "intercept_word3" | "intercept_word4"
            | "intercept_word5" | "pause_filter_thresh" | "pause_filter_count" => VmcbGroup::Intercepts,
            "iopm_base_pa" | "msrpm_base_pa" => VmcbGroup::PermissionMaps,
            "asid" | "tlb_ctl" => VmcbGroup::AsidTlb,
            "int_ctl" | "int_vector" | "int_state" | "event_inj" | "event_inj_err" => VmcbGroup::InterruptControl,
            "exit_code" | "exit_info_1" | "exit_info_2" | "exit_int_info" | "exit_int_info_err" | "next_rip" | "insn_len"
            | "insn_bytes" => VmcbGroup::ExitInfo,
            "misc_ctl" | "nested_cr3" | "g_pat" => VmcbGroup::NestedPaging,
            _ if f.area == VmcbArea::Save => VmcbGroup::SaveArea,
            _ => VmcbGroup::OtherControl,
        }
    }
}

/// The intercept bits an intercept-vector field holds set in `v` (`None` for other fields): bit
/// `b` of intercept word `n` is intercept `32n + b` (App. B Table B-1).
pub fn set_intercepts(f: &VmcbField, v: u64) -> Option<Vec<(u32, Option<Intercept>)>> {
    let word = match f.name {
        "intercept_cr" => 0,
        "intercept_dr" => 1,
        "intercept_exceptions" => 2,
        "intercept_word3" => 3,
        "intercept_word4" => 4,
        "intercept_word5" => 5,
        _ => return None,
    };
    Some((0..32u32).filter(|b| v >> b & 1 == 1).map(|b| (32 * word + b, Intercept::from_bit(32 * word + b))).collect())
}

/// The named VMCB field that holds byte `offset` of a VMCB page, if one does.
pub fn field_at(offset: u16) -> Option<&'static VmcbField> {
    FIELDS.iter().find(|f| (f.offset..f.offset + f.size as u16).contains(&offset))
}
