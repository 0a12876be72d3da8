//! The VMCB field table (reference §1.2/§1.3): every named field with offset, size, meaning and
//! APM section, plus value decoding and `dump`, used by the UI and the checkpoint dump.
use super::{VmcbSeg, control, save};
use crate::mem::memtype::pat::describe_pat;
use crate::mem::phys::OutOfRange;
use crate::mem::{Hpa, PhysMem};
use crate::svm::exit_code::SvmExitCode;
use crate::svm::intercept::{EventInj, intercept_name};
use serde::{Serialize, Serializer};

/// Which VMCB area a field is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VmcbArea {
    Control,
    Save,
}

/// One named VMCB field.
#[derive(Debug, PartialEq, Eq, Serialize)]
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

const fn c(
    name: &'static str,
    apm_name: &'static str,
    offset: u16,
    size: u8,
    meaning: &'static str,
    sec: &'static str,
) -> VmcbField {
    VmcbField { name, apm_name, offset, size, area: VmcbArea::Control, meaning, apm_section: sec }
}
const fn s(
    name: &'static str,
    apm_name: &'static str,
    offset: u16,
    size: u8,
    meaning: &'static str,
    sec: &'static str,
) -> VmcbField {
    VmcbField { name, apm_name, offset, size, area: VmcbArea::Save, meaning, apm_section: sec }
}
const SEG: &str = "segment: selector, attrib (descriptor bits 47:40 and 55:52), limit, base";
const B1: &str = "App. B Table B-1";
const B2: &str = "App. B Table B-2";

/// Every named field of reference §1.2 (control) and §1.3 (state save), in offset order.
#[rustfmt::skip]
pub static FIELDS: [VmcbField; 83] = [
    c("intercept_cr", "Intercept CR reads/writes", 0x000, 4, "bits 0-15 intercept MOV from CRn, bits 16-31 MOV to CRn", "15.9, App. B"),
    c("intercept_dr", "Intercept DR reads/writes", 0x004, 4, "bits 0-15 intercept MOV from DRn, bits 16-31 MOV to DRn", "15.9, App. B"),
    c("intercept_exceptions", "Intercept exceptions", 0x008, 4, "bit v intercepts exception vector v (exit 0x40+v)", "15.12, App. B"),
    c("intercept_word3", "Intercept vector 3", 0x00C, 4, "INTR, NMI, SMI, INIT, VINTR, … IOIO_PROT (bit 27), MSR_PROT (bit 28), … SHUTDOWN", "15.9, App. B"),
    c("intercept_word4", "Intercept vector 4", 0x010, 4, "VMRUN (bit 0, must be set), VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, … EFER/CRn write traps", "15.9, App. B"),
    c("intercept_word5", "Intercept vector 5", 0x014, 4, "INVLPGB, INVLPGB_ILLEGAL, INVPCID, MCOMMIT, TLBSYNC, BUSLOCK, IDLE_HLT", "15.9, App. B"),
    c("pause_filter_thresh", "PAUSE_FILTER_THRESHOLD", 0x03C, 2, "PAUSE filter threshold", B1),
    c("pause_filter_count", "PAUSE_FILTER_COUNT", 0x03E, 2, "PAUSE filter count", B1),
    c("iopm_base_pa", "IOPM_BASE_PA", 0x040, 8, "physical base of the 12 KiB I/O permission map; bits 11:0 ignored", "15.10.1"),
    c("msrpm_base_pa", "MSRPM_BASE_PA", 0x048, 8, "physical base of the 8 KiB MSR permission map; bits 11:0 ignored", "15.11"),
    c("tsc_offset", "TSC_OFFSET", 0x050, 8, "added to the TSC while the guest runs", B1),
    c("asid", "Guest ASID", 0x058, 4, "address-space ID of the guest; 0 is illegal (VMEXIT_INVALID)", "15.16"),
    c("tlb_ctl", "TLB_CONTROL", 0x05C, 1, "0 nothing, 1 flush all, 3 flush this guest, 7 flush this guest's non-global", "15.16"),
    c("erap_ctl", "ERAP control", 0x05D, 1, "bit0 ALLOW_LARGER_RAP, bit1 CLEAR_RAP", B1),
    c("int_ctl", "V_TPR/V_IRQ/V_INTR_MASKING…", 0x060, 4, "virtual interrupt control: V_TPR, V_IRQ, V_GIF, V_NMI…, V_INTR_MASKING, AVIC_ENABLE", B1),
    c("int_vector", "V_INTR_VECTOR", 0x064, 4, "vector of the virtual interrupt", B1),
    c("int_state", "INTERRUPT_SHADOW", 0x068, 4, "bit0 interrupt shadow, bit1 guest interrupt mask (SEV-ES)", B1),
    c("exit_code", "EXITCODE", 0x070, 8, "why the guest exited (64-bit; -1 = VMEXIT_INVALID)", "15.6"),
    c("exit_info_1", "EXITINFO1", 0x078, 8, "exit-specific information 1", "15.6"),
    c("exit_info_2", "EXITINFO2", 0x080, 8, "exit-specific information 2", "15.6"),
    c("exit_int_info", "EXITINTINFO", 0x088, 4, "event being delivered when the exit happened: vector, type, EV, V", "15.7.2"),
    c("exit_int_info_err", "EXITINTINFO error code", 0x08C, 4, "EXITINTINFO[63:32]", "15.7.2"),
    c("misc_ctl", "NP_ENABLE (nested_ctl)", 0x090, 8, "bit0 NP_ENABLE, bit1 SEV, bit2 SEV-ES, bit3 GMET, bit4 SSS, bit6 ROGPT, bit11 PML", "15.25.3"),
    c("avic_vapic_bar", "AVIC_APIC_BAR", 0x098, 8, "AVIC APIC base address", B1),
    c("ghcb_gpa", "GHCB GPA", 0x0A0, 8, "guest-hypervisor communication block (SEV-ES)", B1),
    c("event_inj", "EVENTINJ", 0x0A8, 4, "event to inject at VMRUN: vector, type, EV, V", "15.20"),
    c("event_inj_err", "EVENTINJ error code", 0x0AC, 4, "EVENTINJ[63:32]", "15.20"),
    c("nested_cr3", "N_CR3", 0x0B0, 8, "nCR3: root of the nested page table (with PWT/PCD)", "15.25.4"),
    c("misc_ctl2", "LBR_VIRTUALIZATION_ENABLE", 0x0B8, 8, "bit0 LBR virtualization, bit1 virtual VMLOAD/VMSAVE", B1),
    c("clean", "VMCB Clean Bits", 0x0C0, 4, "1 = the area is unchanged since the last VMRUN (bit4 NP covers NP_ENABLE, nCR3, G_PAT)", "15.15.3"),
    c("next_rip", "nRIP", 0x0C8, 8, "address of the next sequential instruction", "15.7.1"),
    c("insn_len", "Number of bytes fetched", 0x0D0, 1, "bits 3:0: guest instruction bytes stored for #NPF / #PF", "15.8.4"),
    c("insn_bytes", "Guest instruction bytes", 0x0D1, 15, "up to 15 fetched instruction bytes", "15.8.4"),
    c("avic_backing_page", "AVIC_BACKING_PAGE", 0x0E0, 8, "AVIC backing page pointer", B1),
    c("avic_logical_id", "AVIC_LOGICAL_TABLE", 0x0F0, 8, "AVIC logical APIC ID table pointer", B1),
    c("avic_physical_id", "AVIC_PHYSICAL_TABLE", 0x0F8, 8, "AVIC physical APIC ID table pointer", B1),
    c("vmsa_pa", "VMSA pointer", 0x108, 8, "SEV-ES save-area pointer", B1),
    c("bus_lock_counter", "Bus lock counter", 0x120, 2, "bus-lock threshold counter", B1),
    c("allowed_sev_features", "Allowed SEV features", 0x138, 8, "SEV features the guest may enable", B1),
    c("guest_sev_features", "Guest SEV features", 0x140, 8, "SEV features in use", B1),
    c("pml_addr", "PML_BASE", 0x1C8, 8, "page-modification-log base", "15.25.15"),
    c("pml_index", "PML_INDEX", 0x1D0, 2, "page-modification-log index", "15.25.15"),
    s("es", "ES", 0x400, 16, SEG, B2),
    s("cs", "CS", 0x410, 16, SEG, B2),
    s("ss", "SS", 0x420, 16, SEG, B2),
    s("ds", "DS", 0x430, 16, SEG, B2),
    s("fs", "FS", 0x440, 16, SEG, "15.5.2, App. B"),
    s("gs", "GS", 0x450, 16, SEG, "15.5.2, App. B"),
    s("gdtr", "GDTR", 0x460, 16, "descriptor table: limit, base", B2),
    s("ldtr", "LDTR", 0x470, 16, SEG, "15.5.2, App. B"),
    s("idtr", "IDTR", 0x480, 16, "descriptor table: limit, base", B2),
    s("tr", "TR", 0x490, 16, SEG, "15.5.2, App. B"),
    s("vmpl", "VMPL", 0x4CA, 1, "virtual machine privilege level (SEV-SNP)", B2),
    s("cpl", "CPL", 0x4CB, 1, "current privilege level", B2),
    s("efer", "EFER", 0x4D0, 8, "extended feature enable register (SVME must be 1)", B2),
    s("cr4", "CR4", 0x548, 8, "control register 4", B2),
    s("cr3", "CR3", 0x550, 8, "guest page-table root (gCR3 with NP)", B2),
    s("cr0", "CR0", 0x558, 8, "control register 0", B2),
    s("dr7", "DR7", 0x560, 8, "debug control; bits 63:32 MBZ", B2),
    s("dr6", "DR6", 0x568, 8, "debug status; bits 63:32 MBZ", B2),
    s("rflags", "RFLAGS", 0x570, 8, "flags", B2),
    s("rip", "RIP", 0x578, 8, "instruction pointer", B2),
    s("rsp", "RSP", 0x5D8, 8, "stack pointer", B2),
    s("s_cet", "S_CET", 0x5E0, 8, "supervisor CET control", B2),
    s("ssp", "SSP", 0x5E8, 8, "shadow-stack pointer", B2),
    s("isst_addr", "ISST_ADDR", 0x5F0, 8, "interrupt shadow-stack table address", B2),
    s("rax", "RAX", 0x5F8, 8, "accumulator", B2),
    s("star", "STAR", 0x600, 8, "SYSCALL target (VMLOAD/VMSAVE state)", "15.5.2"),
    s("lstar", "LSTAR", 0x608, 8, "64-bit SYSCALL target (VMLOAD/VMSAVE state)", "15.5.2"),
    s("cstar", "CSTAR", 0x610, 8, "compatibility SYSCALL target (VMLOAD/VMSAVE state)", "15.5.2"),
    s("sfmask", "SFMASK", 0x618, 8, "SYSCALL flag mask (VMLOAD/VMSAVE state)", "15.5.2"),
    s("kernel_gs_base", "KernelGSBase", 0x620, 8, "SWAPGS base (VMLOAD/VMSAVE state)", "15.5.2"),
    s("sysenter_cs", "SYSENTER_CS", 0x628, 8, "SYSENTER CS (VMLOAD/VMSAVE state)", "15.5.2"),
    s("sysenter_esp", "SYSENTER_ESP", 0x630, 8, "SYSENTER ESP (VMLOAD/VMSAVE state)", "15.5.2"),
    s("sysenter_eip", "SYSENTER_EIP", 0x638, 8, "SYSENTER EIP (VMLOAD/VMSAVE state)", "15.5.2"),
    s("cr2", "CR2", 0x640, 8, "page-fault address (not replicated, loaded by VMRUN)", B2),
    s("g_pat", "G_PAT", 0x668, 8, "guest PAT: loaded only when NP_ENABLE = 1, must then be a valid PAT", "15.25.4, 15.25.8"),
    s("dbgctl", "DBGCTL", 0x670, 8, "debug control MSR (LBR virtualization)", B2),
    s("br_from", "BR_FROM", 0x678, 8, "last branch from (LBR virtualization)", B2),
    s("br_to", "BR_TO", 0x680, 8, "last branch to (LBR virtualization)", B2),
    s("last_excp_from", "LASTEXCPFROM", 0x688, 8, "last exception from (LBR virtualization)", B2),
    s("last_excp_to", "LASTEXCPTO", 0x690, 8, "last exception to (LBR virtualization)", B2),
    s("spec_ctrl", "SPEC_CTRL", 0x6E0, 8, "speculation control MSR", B2),
];

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
    let names: Vec<&str> =
        (0..32).filter(|b| v >> b & 1 == 1).map(|b| intercept_name(base + b).unwrap_or("RESERVED")).collect();
    if names.is_empty() { "none".into() } else { names.join(" ") }
}

fn named_bits(v: u64, names: &[(u32, &str)]) -> String {
    let table: Vec<(u64, &str)> = names.iter().map(|&(b, n)| (1u64 << b, n)).collect();
    save::bit_names(v, &table)
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
        "efer" => save::bit_names(v, &save::EFER_NAMES),
        "cr0" => save::bit_names(v, &save::CR0_NAMES),
        "cr4" => save::bit_names(v, &save::CR4_NAMES),
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
