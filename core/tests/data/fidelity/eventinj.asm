; EVENTINJ from L1's VMCB reaches L2 (issue 14 L0 item and W1; APM 15.20 "Event Injection": the
; event is delivered through L2's IDT before its first instruction, with the error code pushed and
; the frame's RIP = the guest RIP of the VMCB). L2's handler records vector, error code, frame RIP.
; case 0: #GP(0x1234), NP off   case 1: #GP(0x1234), NP on   case 2: #UD, NP on
; OBS(3i + 0..2) = vector, error code, frame RIP of case i
%include "probe.inc"
%define INJ_GP (0x80000000 | (1 << 11) | (3 << 8) | 13)
%macro CLEAR 0
    mov qword [G_VEC], -1
    mov qword [G_ERR], -1
    mov qword [G_RIP], -1
%endmacro
%macro RECORD 1
    OBSERVE 3 * %1, [G_VEC]
    OBSERVE 3 * %1 + 1, [G_ERR]
    OBSERVE 3 * %1 + 2, [G_RIP]
%endmacro
    LABELS g_entry
    PROBE_INIT
    call npt_init
    CLEAR
    RUN_CASE 0, g_entry, GUEST_IDT, {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    RECORD 0
    CLEAR
    RUN_CASE 1, g_entry, GUEST_IDT, {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}, {call np_on}
    RECORD 1
    CLEAR
    RUN_CASE 2, g_entry, GUEST_IDT, {mov dword [VMCB + V_EVENTINJ], 0x80000306}, {call np_on}
    RECORD 2
    PROBE_END
g_entry:
    mov eax, 0xEE
    vmmcall
    PROBE_ROUTINES
