; CR0 intercepts of LMSW, SMSW and MOV CR0 (issue 14; APM 15.8.1). Each case records the exit
; (run_case) and the guest CR0 the VMCB holds after it at OBS(case).
; case 0: SEL_CR0, LMSW setting CR0.EM: exit 0x65 (CR0_SEL_WRITE), RIP = the LMSW, CR0 unchanged
; case 1: CR0 write intercept, LMSW (same value): exit 0x10, RIP = the LMSW
; case 2: CR0 read intercept, SMSW: exit 0x00, RIP = the SMSW
; case 3: SEL_CR0, MOV CR0 clearing CR0.WP: exit 0x65, RIP = the MOV, CR0 unchanged
; case 4: SEL_CR0, LMSW changing only CR0.TS: no exit, the guest reaches VMMCALL (0x81)
%include "probe.inc"

%macro CASE 3
    mov rdi, %2
    call vmcb_init
    %3
    mov esi, %1
    call run_case
    mov rax, [VMCB + V_CR0]
    mov [OBS(%1)], rax
%endmacro

    LABELS g_lmsw_em_insn, g_lmsw_same_insn, g_smsw, g_mov_wp_insn
    PROBE_INIT
    CASE 0, g_lmsw_em, {or dword [VMCB + V_INT_W3], W3_SEL_CR0}
    CASE 1, g_lmsw_same, {mov dword [VMCB + V_INT_CR], 1 << 16}
    CASE 2, g_smsw, {mov dword [VMCB + V_INT_CR], 1 << 0}
    CASE 3, g_mov_wp, {or dword [VMCB + V_INT_W3], W3_SEL_CR0}
    CASE 4, g_lmsw_ts, {or dword [VMCB + V_INT_W3], W3_SEL_CR0}
    PROBE_END

g_lmsw_em:
    smsw ax
    or al, 4
g_lmsw_em_insn:
    lmsw ax
    vmmcall
g_lmsw_same:
    smsw ax
g_lmsw_same_insn:
    lmsw ax
    vmmcall
g_smsw:
    smsw eax
    vmmcall
g_mov_wp:
    mov rax, cr0
    btr rax, 16
g_mov_wp_insn:
    mov cr0, rax
    vmmcall
g_lmsw_ts:
    smsw ax
    or al, 8
    lmsw ax
    vmmcall

    PROBE_ROUTINES
