; Guest segment state saved at #VMEXIT, and what VMSAVE moves (issue 14; APM 15.6 "#VMEXIT"
; saves ES, CS, SS, DS (selector, attributes, limit, base); APM 15.5.2 VMSAVE stores FS, GS,
; TR, LDTR and KernelGSbase as the processor holds them, which after #VMEXIT is the guest's).
; case 0: VMRUN loads ES base 0x12345000 limit 0xABCDE, DS base 0x2000, SS base 0x3000;
;         OBS(0..3) = ES base, ES limit, DS base, SS base in the VMCB after the exit
; case 1: L2 loads a null ES and writes FS_BASE, GS_BASE, KERNEL_GS_BASE by WRMSR; after the
;         exit L1 runs VMSAVE to the VMCB: OBS(4) ES selector, OBS(5..7) FS, GS, KernelGS bases
%include "probe.inc"
    PROBE_INIT
    RUN_CASE 0, g_vmmcall, {VSET64 V_ES + 8, 0x12345000}, {mov dword [VMCB + V_ES + 4], 0xABCDE}, \
        {VSET64 V_DS + 8, 0x2000}, {VSET64 V_SS + 8, 0x3000}
    OBSERVE 0, [VMCB + V_ES + 8]
    mov eax, [VMCB + V_ES + 4]
    mov [OBS(1)], rax
    OBSERVE 2, [VMCB + V_DS + 8]
    OBSERVE 3, [VMCB + V_SS + 8]
    RUN_CASE 1, g_segs
    mov rax, VMCB
    vmsave
    movzx eax, word [VMCB + V_ES]
    mov [OBS(4)], rax
    OBSERVE 5, [VMCB + V_FS + 8]
    OBSERVE 6, [VMCB + V_GS + 8]
    OBSERVE 7, [VMCB + V_KGSBASE]
    PROBE_END

g_vmmcall:
    vmmcall
g_segs:
    xor eax, eax
    mov es, ax
    WRMSR64 0xC0000100, 0xABC000
    WRMSR64 0xC0000101, 0xDEF000
    WRMSR64 0xC0000102, 0x765000
    vmmcall
    PROBE_ROUTINES
