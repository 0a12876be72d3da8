//! The VMCB state-save area, VMCB 0x400.. (reference §1.3 / APM Appendix B). The register bits
//! its fields hold are the CPU's (`cpu::control`).
use super::{VmcbSeg, vmcb_area};

const SEG: &str = "segment: selector, attrib (descriptor bits 47:40 and 55:52), limit, base";
const B2: &str = "App. B Table B-2";

vmcb_area! {
    /// The VMCB state-save area (reference §1.3). Offsets are VMCB offsets (save offset + 0x400).
    pub struct VmcbSave, area Save, fields save_f {
        pub es: VmcbSeg = 0x400 { "ES", B2, SEG },
        pub cs: VmcbSeg = 0x410 { "CS", B2, SEG },
        pub ss: VmcbSeg = 0x420 { "SS", B2, SEG },
        pub ds: VmcbSeg = 0x430 { "DS", B2, SEG },
        pub fs: VmcbSeg = 0x440 { "FS", "15.5.2, App. B", SEG },
        pub gs: VmcbSeg = 0x450 { "GS", "15.5.2, App. B", SEG },
        pub gdtr: VmcbSeg = 0x460 { "GDTR", B2, "descriptor table: limit, base" },
        pub ldtr: VmcbSeg = 0x470 { "LDTR", "15.5.2, App. B", SEG },
        pub idtr: VmcbSeg = 0x480 { "IDTR", B2, "descriptor table: limit, base" },
        pub tr: VmcbSeg = 0x490 { "TR", "15.5.2, App. B", SEG },
        pub vmpl: u8 = 0x4CA { "VMPL", B2, "virtual machine privilege level (SEV-SNP)" },
        pub cpl: u8 = 0x4CB { "CPL", B2, "current privilege level" },
        pub efer: u64 = 0x4D0 { "EFER", B2, "extended feature enable register (SVME must be 1)" },
        pub cr4: u64 = 0x548 { "CR4", B2, "control register 4" },
        pub cr3: u64 = 0x550 { "CR3", B2, "guest page-table root (gCR3 with NP)" },
        pub cr0: u64 = 0x558 { "CR0", B2, "control register 0" },
        pub dr7: u64 = 0x560 { "DR7", B2, "debug control; bits 63:32 MBZ" },
        pub dr6: u64 = 0x568 { "DR6", B2, "debug status; bits 63:32 MBZ" },
        pub rflags: u64 = 0x570 { "RFLAGS", B2, "flags" },
        pub rip: u64 = 0x578 { "RIP", B2, "instruction pointer" },
        pub rsp: u64 = 0x5D8 { "RSP", B2, "stack pointer" },
        pub s_cet: u64 = 0x5E0 { "S_CET", B2, "supervisor CET control" },
        pub ssp: u64 = 0x5E8 { "SSP", B2, "shadow-stack pointer" },
        pub isst_addr: u64 = 0x5F0 { "ISST_ADDR", B2, "interrupt shadow-stack table address" },
        pub rax: u64 = 0x5F8 { "RAX", B2, "accumulator" },
        pub star: u64 = 0x600 { "STAR", "15.5.2", "SYSCALL target (VMLOAD/VMSAVE state)" },
        pub lstar: u64 = 0x608 { "LSTAR", "15.5.2", "64-bit SYSCALL target (VMLOAD/VMSAVE state)" },
        pub cstar: u64 = 0x610 { "CSTAR", "15.5.2", "compatibility SYSCALL target (VMLOAD/VMSAVE state)" },
        pub sfmask: u64 = 0x618 { "SFMASK", "15.5.2", "SYSCALL flag mask (VMLOAD/VMSAVE state)" },
        pub kernel_gs_base: u64 = 0x620 { "KernelGSBase", "15.5.2", "SWAPGS base (VMLOAD/VMSAVE state)" },
        pub sysenter_cs: u64 = 0x628 { "SYSENTER_CS", "15.5.2", "SYSENTER CS (VMLOAD/VMSAVE state)" },
        pub sysenter_esp: u64 = 0x630 { "SYSENTER_ESP", "15.5.2", "SYSENTER ESP (VMLOAD/VMSAVE state)" },
        pub sysenter_eip: u64 = 0x638 { "SYSENTER_EIP", "15.5.2", "SYSENTER EIP (VMLOAD/VMSAVE state)" },
        pub cr2: u64 = 0x640 { "CR2", B2, "page-fault address (not replicated, loaded by VMRUN)" },
        /// G_PAT: the guest PAT, loaded only when NP_ENABLE = 1 (reference §1.3, §8.2).
        pub g_pat: u64 = 0x668 { "G_PAT", "15.25.4, 15.25.8", "guest PAT: loaded only when NP_ENABLE = 1, must then be a valid PAT" },
        pub dbgctl: u64 = 0x670 { "DBGCTL", B2, "debug control MSR (LBR virtualization)" },
        pub br_from: u64 = 0x678 { "BR_FROM", B2, "last branch from (LBR virtualization)" },
        pub br_to: u64 = 0x680 { "BR_TO", B2, "last branch to (LBR virtualization)" },
        pub last_excp_from: u64 = 0x688 { "LASTEXCPFROM", B2, "last exception from (LBR virtualization)" },
        pub last_excp_to: u64 = 0x690 { "LASTEXCPTO", B2, "last exception to (LBR virtualization)" },
        pub spec_ctrl: u64 = 0x6E0 { "SPEC_CTRL", B2, "speculation control MSR" },
    }
}
