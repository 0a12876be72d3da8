; Nested page tables across nCR3 changes (issue 14 L0 item; APM 15.25.5: the nested walk starts at
; the nCR3 of the VMRUN; APM 15.16.1 TLB_CONTROL = 1 flushes every ASID, so no stale translation
; survives). Table A = lib.inc's NPT (GPA 0x900000 -> 0x900000); table B at 0x220000 maps GPA
; 0x900000 -> 0x901000. L2 reads [0x900000]; the guest RAX of each exit is the value it read.
; case 0: nCR3 = A                  -> 0xAAAA
; case 1: nCR3 = B, TLB_CONTROL 1   -> 0xBBBB
; case 2: nCR3 = A, TLB_CONTROL 1   -> 0xAAAA
; case 3: A's entry remapped to 0x902000, TLB_CONTROL 1 -> 0xCCCC
; case 4: nCR3 = B, TLB_CONTROL 0, ASID 2 (a fresh ASID: nothing cached for it) -> 0xBBBB
%include "probe.inc"
%define NPTB 0x220000
%define NPTE_A(a) (NPT_PT + (((a) - 0x800000) >> 12) * 8)
%define NPTE_B(a) (NPTB + 0x3000 + (((a) - 0x800000) >> 12) * 8)
    PROBE_INIT
    call npt_init
    mov rsi, NPT_PML4
    mov rdi, NPTB
    mov ecx, 4 * 512
    rep movsq
    mov qword [NPTB], NPTB + 0x1000 + 7
    mov qword [NPTB + 0x1000], NPTB + 0x2000 + 7
    mov qword [NPTB + 0x2000 + 4 * 8], NPTB + 0x3000 + 7
    mov qword [NPTE_B(0x900000)], 0x901000 | 7
    mov qword [0x900000], 0xAAAA
    mov qword [0x901000], 0xBBBB
    mov qword [0x902000], 0xCCCC
    RUN_CASE 0, g_read, {call np_on}
    RUN_CASE 1, g_read, {call np_on}, {VSET64 V_NCR3, NPTB}, {mov byte [VMCB + V_TLB_CTL], 1}
    RUN_CASE 2, g_read, {call np_on}, {mov byte [VMCB + V_TLB_CTL], 1}
    mov qword [NPTE_A(0x900000)], 0x902000 | 7
    RUN_CASE 3, g_read, {call np_on}, {mov byte [VMCB + V_TLB_CTL], 1}
    RUN_CASE 4, g_read, {call np_on}, {VSET64 V_NCR3, NPTB}, {mov dword [VMCB + V_ASID], 2}
    PROBE_END
g_read:
    mov rax, [0x900000]
    vmmcall
    PROBE_ROUTINES
