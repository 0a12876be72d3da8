; IOIO EXITINFO1 of string I/O (issue 14; APM 15.10.2 "I/O Intercept Information" / reference
; 2.3: [0] TYPE, [2] STR, [3] REP, [4] SZ8, [7..9] A16/A32/A64, [12:10] SEG, [31:16] PORT;
; EXITINFO2 = rIP of the next instruction). Port 0x80 is intercepted.
; case 0: REP FS OUTSB (64-bit addresses)   case 1: A32 OUTSB (DS)   case 2: REP INSB
%include "probe.inc"
    LABELS g_c0_next, g_c1_next, g_c2_next
    PROBE_INIT
    mov byte [IOPM + 0x80 / 8], 1
    RUN_CASE 0, g_c0, {or dword [VMCB + V_INT_W3], W3_IOIO}
    RUN_CASE 1, g_c1, {or dword [VMCB + V_INT_W3], W3_IOIO}
    RUN_CASE 2, g_c2, {or dword [VMCB + V_INT_W3], W3_IOIO}
    PROBE_END
g_c0:
    mov dx, 0x80
    mov esi, 0x300000
    mov ecx, 3
    rep fs outsb
g_c0_next:
    vmmcall
g_c1:
    mov dx, 0x80
    mov esi, 0x300000
    a32 outsb
g_c1_next:
    vmmcall
g_c2:
    mov dx, 0x80
    mov edi, 0x300000
    mov ecx, 3
    rep insb
g_c2_next:
    vmmcall
    PROBE_ROUTINES
