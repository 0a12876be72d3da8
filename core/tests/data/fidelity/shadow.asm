; Interrupt shadow at #VMEXIT (issue 14; APM 15.21.5 / reference 1.2: VMCB+0x068 bit 0
; INTERRUPT_SHADOW). OBS(i) = the INTERRUPT_SHADOW field after case i's VMMCALL exit.
; case 0: STI (IF was 0) then VMMCALL: in the shadow of STI
; case 1: MOV SS then VMMCALL: in the shadow of MOV SS
; case 2: NOP then VMMCALL: no shadow
%include "probe.inc"
%macro CASE 2
    mov rdi, %2
    call vmcb_init
    mov esi, %1
    call run_case
    mov eax, [VMCB + V_INT_STATE]
    mov [OBS(%1)], rax
%endmacro
    PROBE_INIT
    CASE 0, g_sti
    CASE 1, g_movss
    CASE 2, g_nop
    PROBE_END
g_sti:
    sti
    vmmcall
g_movss:
    mov ax, ss
    mov ss, ax
    vmmcall
g_nop:
    nop
    vmmcall
    PROBE_ROUTINES
