; A fault while delivering an injected event (issue 14; APM 15.20 "Event Injection", 15.7.2
; EXITINTINFO; APM 8.2.9 #DF: a contributory exception while delivering a contributory one).
; EVENTINJ = #GP with error code 0x1234; L2's IDT has no present gate 13 (and in case 1 no gate 11).
; case 0: #NP intercepted: exit 0x4B, EXITINFO1 = 13*8 + IDT + EXT, EXITINTINFO = the injected #GP
; case 1: only #DF intercepted: #NP during #GP delivery is a double fault: exit 0x48, EXITINFO1 0
%include "probe.inc"
%define INJ_GP (0x80000000 | (1 << 11) | (3 << 8) | 13)
    PROBE_INIT
    mov qword [GIDT + 13 * 16], 0
    mov qword [GIDT + 13 * 16 + 8], 0
    RUN_CASE 0, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_INT_EXC], 1 << 11}, \
        {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    mov qword [GIDT + 11 * 16], 0
    mov qword [GIDT + 11 * 16 + 8], 0
    RUN_CASE 1, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_INT_EXC], 1 << 8}, \
        {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    PROBE_END
g_vmmcall:
    vmmcall
    PROBE_ROUTINES
