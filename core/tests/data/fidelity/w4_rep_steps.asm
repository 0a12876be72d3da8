; Robustness W4: a REP in L2 whose chunks are cut by L0's own shadow-NPT fills (NP on, every
; page new to the shadow) must retire the same steps, with the same RCX/RDI at each, as on bare:
; a REP chunk interrupted by an exit L0 handles by itself goes on where it stopped. The
; architectural end (APM vol.3 STOS: RCX counted down to 0, RDI past the last qword) is observed
; too; `compare` checks the steps in lockstep.
; case 0: L2 REP STOSQ of 0x8000 qwords (256 KiB, 64 pages) at 0x1000000, then VMMCALL
%include "probe.inc"
    PROBE_INIT
    call npt_init
    RUN_CASE 0, g_rep, {call np_on}
    OBSERVE 0, [0x1000000 + 0x8000 * 8 - 8]
    PROBE_END
g_rep:
    mov rdi, 0x1000000
    mov ecx, 0x8000
    mov rax, 0x5A5A
    cld
    rep stosq
    mov rax, rdi
    vmmcall
    PROBE_ROUTINES
