; EVENTINJ of type NMI (issue 14; APM 15.20 "Event Injection": for TYPE 2 (NMI) the VECTOR
; field is ignored and the event is delivered through IDT vector 2).
; case 0: TYPE 2, VECTOR 5   case 1: TYPE 2, VECTOR 2. OBS(i) = the vector L2's handler ran for.
%include "probe.inc"
%macro CASE 2
    mov qword [G_VEC], -1
    RUN_CASE %1, g_vmmcall, GUEST_IDT, {mov dword [VMCB + V_EVENTINJ], 0x80000000 | (2 << 8) | %2}
    OBSERVE %1, [G_VEC]
%endmacro
    PROBE_INIT
    CASE 0, 5
    CASE 1, 2
    PROBE_END
g_vmmcall:
    vmmcall
    PROBE_ROUTINES
