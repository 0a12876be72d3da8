; EXITINTINFO for intercepts taken while an event is delivered (issue 14; APM 15.7.2 "Intercepts
; During IDT Interrupt Delivery", EXITINTINFO format 15.20 / reference 1.2; error codes APM 8.4.1,
; EXT bit). L2's IDT is unmapped (#PF), nested-not-present (#NPF) or too short (#GP).
; case 0: INT 0x1F, IDT at 4 GiB (unmapped), #PF intercepted: EXITINTINFO = soft INT 0x1F
; case 1: INT3, same: EXITINTINFO = exception 3
; case 2: #GP(0x18) from MOV DS, same: EXITINTINFO = exception 13 with error code 0x18
; case 3: UD2 with NP on, the nested entry of the IDT page not present: exit 0x400, EXITINTINFO #UD
; case 4: UD2, IDT limit 0x2F, #GP intercepted: EXITINFO1 = 6*8 + IDT + EXT, EXITINTINFO = #UD
; case 5: INT 0x1F, IDT limit 0x2F: EXITINFO1 = 0x1F*8 + IDT (no EXT), EXITINTINFO = soft INT
%include "probe.inc"

%macro IDT_AT 2
    VSET64 V_IDTR + 8, %1
    mov dword [VMCB + V_IDTR + 4], %2
%endmacro

    LABELS g_int1f, g_int3, g_gp, g_ud
    PROBE_INIT
    RUN_CASE 0, g_int1f, {IDT_AT 0x100000000, 0xFFF}, {mov dword [VMCB + V_INT_EXC], 1 << 14}
    RUN_CASE 1, g_int3, {IDT_AT 0x100000000, 0xFFF}, {mov dword [VMCB + V_INT_EXC], 1 << 14}
    RUN_CASE 2, g_gp, {IDT_AT 0x100000000, 0xFFF}, {mov dword [VMCB + V_INT_EXC], 1 << 14}
    call npt_init
    mov qword [NPT_PD + 3 * 8], 0
    RUN_CASE 3, g_ud, {IDT_AT GIDT, 0xFFF}, {call np_on}
    call npt_init
    RUN_CASE 4, g_ud, {IDT_AT GIDT, 0x2F}, {mov dword [VMCB + V_INT_EXC], 1 << 13}
    RUN_CASE 5, g_int1f, {IDT_AT GIDT, 0x2F}, {mov dword [VMCB + V_INT_EXC], 1 << 13}
    PROBE_END

g_int1f:
    int 0x1F
g_int3:
    int3
g_gp:
    mov ax, 0x18
    mov ds, ax
g_ud:
    ud2

    PROBE_ROUTINES
