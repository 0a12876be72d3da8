; Robustness: string I/O under kvm-* (CONTRACT 1: OUT 0xE9 appends to the console, for L1 and for
; L2 when L1 does not intercept the port; APM vol.3 OUTS: one byte per iteration from DS:rSI).
; L1 REP OUTSB "xyz"; then L2 (IOIO not intercepted) REP OUTSB "abc". Console: "xyzabc".
%include "probe.inc"
    PROBE_INIT
    mov rsi, s_l1
    mov ecx, 3
    mov dx, 0xE9
    rep outsb
    RUN_CASE 0, g_out
    PROBE_END
g_out:
    mov rsi, s_l2
    mov ecx, 3
    mov dx, 0xE9
    rep outsb
    vmmcall
s_l1: db "xyz"
s_l2: db "abc"
    PROBE_ROUTINES
