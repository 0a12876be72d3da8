//! The VMCB control area, VMCB 0x000–0x3FF (reference §1.2 / APM Appendix B), and its bit constants.
use super::vmcb_area;
use crate::svm::exit_code::{SvmExitCode, VmExit};

const B1: &str = "App. B Table B-1";

vmcb_area! {
    /// The VMCB control area (reference §1.2). Field names follow Linux `struct vmcb_control_area`
    /// (newer names: `misc_ctl` = old nested_ctl, `misc_ctl2` = old virt_ext); the APM names, meanings and
    /// sections are in `FIELDS`, generated from this declaration.
    pub struct VmcbControl, area Control, fields control_f {
        /// Intercept word 0: CRn read = bit n, CRn write = bit 16+n (reference §2.2).
        pub intercept_cr: u32 = 0x000 { "Intercept CR reads/writes", "15.9, App. B", "bits 0-15 intercept MOV from CRn, bits 16-31 MOV to CRn" },
        /// Intercept word 1: DRn read = bit n, DRn write = bit 16+n.
        pub intercept_dr: u32 = 0x004 { "Intercept DR reads/writes", "15.9, App. B", "bits 0-15 intercept MOV from DRn, bits 16-31 MOV to DRn" },
        /// Intercept word 2: exception vector v = bit v.
        pub intercept_exceptions: u32 = 0x008 { "Intercept exceptions", "15.12, App. B", "bit v intercepts exception vector v (exit 0x40+v)" },
        /// Intercept word 3: INTR (bit 0 = intercept 96) .. SHUTDOWN.
        pub intercept_word3: u32 = 0x00C { "Intercept vector 3", "15.9, App. B", "INTR, NMI, SMI, INIT, VINTR, … IOIO_PROT (bit 27), MSR_PROT (bit 28), … SHUTDOWN" },
        /// Intercept word 4: VMRUN (bit 0 = intercept 128) .. CRn write traps.
        pub intercept_word4: u32 = 0x010 { "Intercept vector 4", "15.9, App. B", "VMRUN (bit 0, must be set), VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, … EFER/CRn write traps" },
        /// Intercept word 5: INVLPGB (bit 0 = intercept 160) .. IDLE_HLT.
        pub intercept_word5: u32 = 0x014 { "Intercept vector 5", "15.9, App. B", "INVLPGB, INVLPGB_ILLEGAL, INVPCID, MCOMMIT, TLBSYNC, BUSLOCK, IDLE_HLT" },
        pub pause_filter_thresh: u16 = 0x03C { "PAUSE_FILTER_THRESHOLD", B1, "PAUSE filter threshold" },
        pub pause_filter_count: u16 = 0x03E { "PAUSE_FILTER_COUNT", B1, "PAUSE filter count" },
        /// IOPM_BASE_PA; bits 11:0 ignored (reference §3.3).
        pub iopm_base_pa: u64 = 0x040 { "IOPM_BASE_PA", "15.10.1", "physical base of the 12 KiB I/O permission map; bits 11:0 ignored" },
        /// MSRPM_BASE_PA; bits 11:0 ignored (reference §3.1).
        pub msrpm_base_pa: u64 = 0x048 { "MSRPM_BASE_PA", "15.11", "physical base of the 8 KiB MSR permission map; bits 11:0 ignored" },
        pub tsc_offset: u64 = 0x050 { "TSC_OFFSET", B1, "added to the TSC while the guest runs" },
        /// Guest ASID; 0 is illegal (reference §4.2).
        pub asid: u32 = 0x058 { "Guest ASID", "15.16", "address-space ID of the guest; 0 is illegal (VMEXIT_INVALID)" },
        pub tlb_ctl: u8 = 0x05C { "TLB_CONTROL", "15.16", "0 nothing, 1 flush all, 3 flush this guest, 7 flush this guest's non-global" },
        pub erap_ctl: u8 = 0x05D { "ERAP control", B1, "bit0 ALLOW_LARGER_RAP, bit1 CLEAR_RAP" },
        pub int_ctl: u32 = 0x060 { "V_TPR/V_IRQ/V_INTR_MASKING…", B1, "virtual interrupt control: V_TPR, V_IRQ, V_GIF, V_NMI…, V_INTR_MASKING, AVIC_ENABLE" },
        pub int_vector: u32 = 0x064 { "V_INTR_VECTOR", B1, "vector of the virtual interrupt" },
        pub int_state: u32 = 0x068 { "INTERRUPT_SHADOW", B1, "bit0 interrupt shadow, bit1 guest interrupt mask (SEV-ES)" },
        /// EXITCODE (64-bit; VMEXIT_INVALID = -1).
        pub exit_code: u64 = 0x070 { "EXITCODE", "15.6", "why the guest exited (64-bit; -1 = VMEXIT_INVALID)" },
        pub exit_info_1: u64 = 0x078 { "EXITINFO1", "15.6", "exit-specific information 1" },
        pub exit_info_2: u64 = 0x080 { "EXITINFO2", "15.6", "exit-specific information 2" },
        /// EXITINTINFO[31:0]; the error code (EXITINTINFO[63:32]) is `exit_int_info_err`.
        pub exit_int_info: u32 = 0x088 { "EXITINTINFO", "15.7.2", "event being delivered when the exit happened: vector, type, EV, V" },
        pub exit_int_info_err: u32 = 0x08C { "EXITINTINFO error code", "15.7.2", "EXITINTINFO[63:32]" },
        /// Bit 0 NP_ENABLE, bit 1 SEV, bit 2 SEV-ES, bit 3 GMET, bit 4 SSS, bit 6 ROGPT, bit 11 PML.
        pub misc_ctl: u64 = 0x090 { "NP_ENABLE (nested_ctl)", "15.25.3", "bit0 NP_ENABLE, bit1 SEV, bit2 SEV-ES, bit3 GMET, bit4 SSS, bit6 ROGPT, bit11 PML" },
        pub avic_vapic_bar: u64 = 0x098 { "AVIC_APIC_BAR", B1, "AVIC APIC base address" },
        pub ghcb_gpa: u64 = 0x0A0 { "GHCB GPA", B1, "guest-hypervisor communication block (SEV-ES)" },
        /// EVENTINJ[31:0]; the error code (EVENTINJ[63:32]) is `event_inj_err`.
        pub event_inj: u32 = 0x0A8 { "EVENTINJ", "15.20", "event to inject at VMRUN: vector, type, EV, V" },
        pub event_inj_err: u32 = 0x0AC { "EVENTINJ error code", "15.20", "EVENTINJ[63:32]" },
        /// N_CR3 (nCR3): the nested page-table root.
        pub nested_cr3: u64 = 0x0B0 { "N_CR3", "15.25.4", "nCR3: root of the nested page table (with PWT/PCD)" },
        /// Bit 0 LBR virtualization, bit 1 virtual VMLOAD/VMSAVE.
        pub misc_ctl2: u64 = 0x0B8 { "LBR_VIRTUALIZATION_ENABLE", B1, "bit0 LBR virtualization, bit1 virtual VMLOAD/VMSAVE" },
        /// VMCB clean bits (reference §1.4).
        pub clean: u32 = 0x0C0 { "VMCB Clean Bits", "15.15.3", "1 = the area is unchanged since the last VMRUN (bit4 NP covers NP_ENABLE, nCR3, G_PAT)" },
        /// nRIP (reference §2.3).
        pub next_rip: u64 = 0x0C8 { "nRIP", "15.7.1", "address of the next sequential instruction" },
        /// Number of guest instruction bytes fetched, bits 3:0 (APM 15.8.4).
        pub insn_len: u8 = 0x0D0 { "Number of bytes fetched", "15.8.4", "bits 3:0: guest instruction bytes stored for #NPF / #PF" },
        pub insn_bytes: [u8; 15] = 0x0D1 { "Guest instruction bytes", "15.8.4", "up to 15 fetched instruction bytes" },
        pub avic_backing_page: u64 = 0x0E0 { "AVIC_BACKING_PAGE", B1, "AVIC backing page pointer" },
        pub avic_logical_id: u64 = 0x0F0 { "AVIC_LOGICAL_TABLE", B1, "AVIC logical APIC ID table pointer" },
        pub avic_physical_id: u64 = 0x0F8 { "AVIC_PHYSICAL_TABLE", B1, "AVIC physical APIC ID table pointer" },
        pub vmsa_pa: u64 = 0x108 { "VMSA pointer", B1, "SEV-ES save-area pointer" },
        pub bus_lock_counter: u16 = 0x120 { "Bus lock counter", B1, "bus-lock threshold counter" },
        pub allowed_sev_features: u64 = 0x138 { "Allowed SEV features", B1, "SEV features the guest may enable" },
        pub guest_sev_features: u64 = 0x140 { "Guest SEV features", B1, "SEV features in use" },
        /// PML_BASE (APM 15.25.15, reference §7.4).
        pub pml_addr: u64 = 0x1C8 { "PML_BASE", "15.25.15", "page-modification-log base" },
        /// PML_INDEX (APM 15.25.15). Size 2 is this model's choice: the reference gives only the offset.
        pub pml_index: u16 = 0x1D0 { "PML_INDEX", "15.25.15", "page-modification-log index" },
    }
}

// misc_ctl (VMCB 0x090) bits, reference §1.2 / §7.4.
pub const MISC_CTL_NP_ENABLE: u64 = 1 << 0;
pub const MISC_CTL_SEV_ENABLE: u64 = 1 << 1;
pub const MISC_CTL_SEV_ES_ENABLE: u64 = 1 << 2;
pub const MISC_CTL_GMET: u64 = 1 << 3;
pub const MISC_CTL_SSS: u64 = 1 << 4;
pub const MISC_CTL_ROGPT: u64 = 1 << 6;
pub const MISC_CTL_PML: u64 = 1 << 11;
// misc_ctl2 (VMCB 0x0B8) bits.
pub const MISC_CTL2_V_LBR: u64 = 1 << 0;
pub const MISC_CTL2_V_VMLOAD_VMSAVE: u64 = 1 << 1;
// tlb_ctl values (reference §1.2).
pub const TLB_CONTROL_DO_NOTHING: u8 = 0;
pub const TLB_CONTROL_FLUSH_ALL_ASID: u8 = 1;
pub const TLB_CONTROL_FLUSH_ASID: u8 = 3;
pub const TLB_CONTROL_FLUSH_ASID_LOCAL: u8 = 7;
// int_ctl (VMCB 0x060) bits.
pub const V_TPR_MASK: u32 = 0xF;
pub const V_IRQ: u32 = 1 << 8;
pub const V_GIF: u32 = 1 << 9;
pub const V_NMI_PENDING: u32 = 1 << 11;
pub const V_NMI_BLOCKING: u32 = 1 << 12;
pub const V_INTR_PRIO_SHIFT: u32 = 16;
pub const V_IGN_TPR: u32 = 1 << 20;
pub const V_INTR_MASKING: u32 = 1 << 24;
pub const V_GIF_ENABLE: u32 = 1 << 25;
pub const V_NMI_ENABLE: u32 = 1 << 26;
pub const X2APIC_MODE: u32 = 1 << 30;
pub const AVIC_ENABLE: u32 = 1 << 31;
// int_state (VMCB 0x068) bits.
pub const INT_STATE_SHADOW: u32 = 1 << 0;
pub const INT_STATE_GUEST_MASK: u32 = 1 << 1;

/// VMCB clean-bit names, bit n = `CLEAN_BITS[n]` (reference §1.4, APM 15.15.3). Bit 4 (NP)
/// covers NP_ENABLE, nCR3 and G_PAT.
pub const CLEAN_BITS: [(u32, &str); 13] = [
    (0, "I"),
    (1, "IOPM"),
    (2, "ASID"),
    (3, "TPR"),
    (4, "NP"),
    (5, "CRx"),
    (6, "DRx"),
    (7, "DT"),
    (8, "SEG"),
    (9, "CR2"),
    (10, "LBR"),
    (11, "AVIC"),
    (12, "CET"),
];
pub const CLEAN_NP: u32 = 1 << 4;

impl VmcbControl {
    /// The six intercept words in order (word n holds intercept bits 32n..32n+31).
    pub fn intercept_words(&self) -> [u32; 6] {
        [
            self.intercept_cr,
            self.intercept_dr,
            self.intercept_exceptions,
            self.intercept_word3,
            self.intercept_word4,
            self.intercept_word5,
        ]
    }

    /// Mutable access to intercept word `n` (0..=5).
    pub fn intercept_word_mut(&mut self, n: usize) -> Option<&mut u32> {
        Some(match n {
            0 => &mut self.intercept_cr,
            1 => &mut self.intercept_dr,
            2 => &mut self.intercept_exceptions,
            3 => &mut self.intercept_word3,
            4 => &mut self.intercept_word4,
            5 => &mut self.intercept_word5,
            _ => return None,
        })
    }

    /// NP_ENABLE (misc_ctl bit 0).
    pub fn np_enable(&self) -> bool {
        self.misc_ctl & MISC_CTL_NP_ENABLE != 0
    }
    pub fn set_np_enable(&mut self, on: bool) {
        self.misc_ctl = (self.misc_ctl & !MISC_CTL_NP_ENABLE) | on as u64;
    }

    /// EVENTINJ as the APM's 64-bit value (error code in 63:32).
    pub fn event_inj_u64(&self) -> u64 {
        (self.event_inj_err as u64) << 32 | self.event_inj as u64
    }
    pub fn set_event_inj_u64(&mut self, v: u64) {
        self.event_inj = v as u32;
        self.event_inj_err = (v >> 32) as u32;
    }

    /// EXITINTINFO as the APM's 64-bit value (error code in 63:32).
    pub fn exit_int_info_u64(&self) -> u64 {
        (self.exit_int_info_err as u64) << 32 | self.exit_int_info as u64
    }
    pub fn set_exit_int_info_u64(&mut self, v: u64) {
        self.exit_int_info = v as u32;
        self.exit_int_info_err = (v >> 32) as u32;
    }

    pub fn exit_code(&self) -> SvmExitCode {
        SvmExitCode(self.exit_code)
    }

    /// The exit fields as a `VmExit` value.
    pub fn vmexit(&self) -> VmExit {
        VmExit {
            code: self.exit_code(),
            info1: self.exit_info_1,
            info2: self.exit_info_2,
            int_info: self.exit_int_info_u64(),
            next_rip: self.next_rip,
        }
    }

    /// What every #VMEXIT (real or emulated) writes into the control area of a VMCB page in
    /// place: EXITCODE, EXITINFO1/2, EXITINTINFO, nRIP and INT_STATE; EVENTINJ is cleared.
    pub fn store_vmexit_in_page(page: &mut [u8; 4096], e: &VmExit, int_state: u32) {
        control_f::exit_code.set(page, e.code.0);
        control_f::exit_info_1.set(page, e.info1);
        control_f::exit_info_2.set(page, e.info2);
        control_f::exit_int_info.set(page, e.int_info as u32);
        control_f::exit_int_info_err.set(page, (e.int_info >> 32) as u32);
        control_f::next_rip.set(page, e.next_rip);
        control_f::event_inj.set(page, 0);
        control_f::event_inj_err.set(page, 0);
        control_f::int_state.set(page, int_state);
    }

    /// Stores a `VmExit` into EXITCODE, EXITINFO1/2, EXITINTINFO and nRIP.
    pub fn set_vmexit(&mut self, e: &VmExit) {
        self.exit_code = e.code.0;
        self.exit_info_1 = e.info1;
        self.exit_info_2 = e.info2;
        self.set_exit_int_info_u64(e.int_info);
        self.next_rip = e.next_rip;
    }
}
