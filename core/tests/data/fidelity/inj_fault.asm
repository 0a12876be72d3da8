; A fault while delivering an injected event (issue 14; APM 15.20 "Event Injection", 15.7.2
; EXITINTINFO; APM 8.2.9 #DF: a contributory exception while delivering a contributory one).
; EVENTINJ = #GP with error code 0x1234; L2's gate 13 is not present (P = 0, type kept) in cases 0
; and 1, and empty (all zero: type 0) in case 2.
; case 0: #NP intercepted: exit 0x4B, EXITINFO1 = 13*8 + IDT + EXT, EXITINTINFO = the injected #GP
;         (the intercept of the raised exception comes before the double-fault rules, APM 15.7.2)
; case 1: only #DF intercepted: #NP during #GP delivery is a double fault: exit 0x48, EXITINFO1 0
; case 2: #GP intercepted, gate 13 empty: the gate type is checked before P (APM vol.3 INT
;         pseudocode, long mode: "IF (temp_idt_desc.type is not an interrupt or trap gate)
;         EXCEPTION [#GP]" precedes the P check; QEMU and Bochs agree): exit 0x4D, EXITINFO1 0x6B,
;         EXITINTINFO = the injected #GP
; (The first version of this probe zeroed gate 13 for case 0 and expected #NP: by that order it
; is #GP, so case 0 now clears only P, and case 2 keeps the empty gate with #GP expected.)
%include "probe.inc"
%define INJ_GP (0x80000000 | (1 << 11) | (3 << 8) | 13)
    PROBE_INIT
    and byte [GIDT + 13 * 16 + 5], 0x7F
    RUN_CASE 0, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_INT_EXC], 1 << 11}, \
        {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    and byte [GIDT + 11 * 16 + 5], 0x7F
    RUN_CASE 1, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_INT_EXC], 1 << 8}, \
        {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    mov qword [GIDT + 13 * 16], 0
    mov qword [GIDT + 13 * 16 + 8], 0
    RUN_CASE 2, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_INT_EXC], 1 << 13}, \
        {mov dword [VMCB + V_EVENTINJ], INJ_GP}, {mov dword [VMCB + V_EVENTINJ + 4], 0x1234}
    PROBE_END
g_vmmcall:
    vmmcall
    PROBE_ROUTINES
