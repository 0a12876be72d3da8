; Robustness H1: one L2 store into a page of L1's nested page table (the NPT identity-maps
; 0-4 GiB, so L2 sees it). APM 15.25.5: the nested tables are ordinary memory; the store changes an
; unused PML4 entry and L2 continues to its VMMCALL (exit 0x81). Then the same with REP STOSQ over
; a whole unused table page (h1b).
%include "probe.inc"
    PROBE_INIT
    call npt_init
    RUN_CASE 0, g_store, {call np_on}
    RUN_CASE 1, g_rep, {call np_on}
    PROBE_END
g_store:
    xor eax, eax
    mov [NPT_PML4 + 8 * 100], rax
    vmmcall
g_rep:
    mov rdi, NPT_PML4 + 8 * 256
    mov ecx, 256
    xor eax, eax
    rep stosq
    vmmcall
    PROBE_ROUTINES
