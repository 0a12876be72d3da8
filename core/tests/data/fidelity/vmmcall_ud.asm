; VMMCALL in L2 that L1 does not intercept (issue 14 L0 item; APM vol.3 VMMCALL: "#UD if the
; instruction is not intercepted"; upstream KVM "nSVM: Raise #UD if unhandled VMMCALL isn't
; intercepted by L1").
; case 0: #UD intercepted: exit 0x46 with the RIP of the VMMCALL
; case 1: #UD not intercepted: L2's #UD handler runs (OBS(0) = its vector) and ends with HLT (exit 0x78)
%include "probe.inc"
    LABELS g_vmmcall
    PROBE_INIT
    mov rdi, GIDT
    mov esi, 6
    mov rdx, g_ud_handler
    call set_gate
    mov qword [G_VEC], -1
    RUN_CASE 0, g_vmmcall, {mov dword [VMCB + V_INT_W4], W4_VMRUN}, {mov dword [VMCB + V_INT_EXC], 1 << 6}
    RUN_CASE 1, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_INT_W4], W4_VMRUN}, {or dword [VMCB + V_INT_W3], W3_HLT}
    OBSERVE 0, [G_VEC]
    PROBE_END
g_vmmcall:
    vmmcall
    hlt
g_ud_handler:
    mov qword [G_VEC], 6
    hlt
    PROBE_ROUTINES
