; Robustness D6: an L2 in 32-bit protected mode (CR0.PE, paging off, EFER.LME = 0, CS.D = 1,
; CS.L = 0). 0x48 is DEC EAX there (APM vol.3 "DEC", one-byte form; REX exists only in 64-bit
; mode): from RAX = 0, L2's RAX at its VMMCALL exit is 0xFFFFFFFF.
%include "probe.inc"
    PROBE_INIT
    RUN_CASE 0, g32, {VSET64 V_CR0, 0x11}, {VSET64 V_EFER, 1 << 12}, {VSET64 V_CR4, 0}, \
        {mov word [VMCB + V_CS + 2], 0x0C9B}
    PROBE_END
g32:
    db 0x48, 0x90
    vmmcall
    PROBE_ROUTINES
