; RDMSR/WRMSR of an MSR outside the MSRPM's ranges (robustness E3c, reproducers g20/g21; APM 15.11:
; such accesses always exit when MSR_PROT is set; APM vol.3 RDMSR/WRMSR: #GP(0) for an MSR that
; is not implemented — the model implements none outside those ranges).
; OBS(0,1): L1 RDMSR 0x12345: fault vector and error code (#GP(0))
; OBS(2): L1 WRMSR 0x12345: fault vector
; case 0: L2 RDMSR 0x12345, L1 intercepts #GP (not MSRs): exit 0x4D, EXITINFO1 0, RIP at the RDMSR
; case 1: L2 RDMSR 0x12345, nothing intercepted: L2's #GP handler runs (OBS(3) = 13, OBS(4) = 0)
%include "probe.inc"
    LABELS g_rd
    PROBE_INIT
    TRY .s1
    mov ecx, 0x12345
    rdmsr
.s1:
    OBSERVE 0, [FAULT_VEC]
    OBSERVE 1, [FAULT_ERR]
    TRY .s2
    mov ecx, 0x12345
    xor eax, eax
    xor edx, edx
    wrmsr
.s2:
    OBSERVE 2, [FAULT_VEC]
    RUN_CASE 0, g_rdmsr, {mov dword [VMCB + V_INT_EXC], 1 << 13}
    mov qword [G_VEC], -1
    RUN_CASE 1, g_rdmsr, GUEST_IDT
    OBSERVE 3, [G_VEC]
    OBSERVE 4, [G_VEC + 8]
    PROBE_END
g_rdmsr:
    mov ecx, 0x12345
g_rd:
    rdmsr
    vmmcall
    PROBE_ROUTINES
