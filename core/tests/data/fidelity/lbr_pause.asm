; Branch recording, LBR virtualization and the PAUSE filter (issue 11; APM 13.1.1.6 DEBUGCTL.LBR and
; the LBR MSRs 0x1DB-0x1DE, 15.23 LBR virtualization, 15.14.4 PAUSE filter; kvm-unit-tests
; svm_lbrv_* and pause_filter_test).
; OBS(0,1): L1 with LBR on branches h0_from -> h0_to, turns LBR off, branches again: the MSRs hold h0.
; OBS(2..4): an exception (#UD at h1_ud) after the branch h1_from -> h1_to: LastInt* = that branch;
;            then a single-step #DB clears DEBUGCTL.LBR (OBS(4)).
; without LBR virtualization (OBS(5..8)): L2 sees L1's DEBUGCTL (1), branches g2_from -> g2_to,
;            clears DEBUGCTL: after the exit L1's DEBUGCTL is 0 and its LBR MSRs hold g2.
; with LBR virtualization (OBS(10..19)): VMCB DBGCTL 0, BR_FROM 0x1111, BR_TO 0x2222: L2 reads those,
;            sets LBR, branches g3_from -> g3_to, exits; the VMCB holds L2's, L1 gets back its own
;            DEBUGCTL (1) and branch h3_from -> h3_to.
; PAUSE filter (cases 0-3, PAUSE intercepted): count 3 and three PAUSEs: exit 0x77 at the third;
;            count 4: no exit (VMMCALL); count 3, threshold 50, a 200-step wait after two PAUSEs:
;            the count is reloaded, no exit; threshold 1000: exit at the third PAUSE.
; OBS(20): CPUID 0x8000000A EDX & (LbrVirt | PauseFilter | PauseFilterThreshold).
%include "probe.inc"
%define V_PF_THRESH 0x03C
%define V_PF_COUNT  0x03E
%define V_MISC2     0x0B8
%define V_DBGCTL    0x670
%define V_BR_FROM   0x678
%define V_BR_TO     0x680
%macro RDMSR_TO 2
    mov ecx, %1
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov [OBS(%2)], rax
%endmacro
%macro LBR_SET 1
    mov ecx, 0x1d9
    mov eax, %1
    xor edx, edx
    wrmsr
%endmacro
    LABELS h0_from, h0_to, h1_from, h1_to, g2_from, g2_to, g3_from, g3_to, h3_from, h3_to, g_p3, g_p3b
    PROBE_INIT
    ; host branch recording
    LBR_SET 1
h0_from:
    jmp h0_to
    nop
h0_to:
    LBR_SET 0
    jmp after0
    nop
after0:
    RDMSR_TO 0x1db, 0
    RDMSR_TO 0x1dc, 1
    ; an exception after a branch
    TRY ud_done
    LBR_SET 1
h1_from:
    jmp h1_to
    nop
h1_to:
    ud2
ud_done:
    LBR_SET 0
    RDMSR_TO 0x1dd, 2
    RDMSR_TO 0x1de, 3
    ; #DB clears DEBUGCTL.LBR
    TRY db_done
    LBR_SET 1
    pushfq
    or qword [rsp], 0x100
    popfq
    nop
db_done:
    RDMSR_TO 0x1d9, 4

    ; no LBR virtualization: L2 shares DEBUGCTL and the MSRs
    mov rdi, g2
    call vmcb_init
    LBR_SET 1
    mov rax, VMCB
    vmrun
    RDMSR_TO 0x1d9, 5
    LBR_SET 0
    RDMSR_TO 0x1db, 7
    RDMSR_TO 0x1dc, 8

    ; LBR virtualization
    mov rdi, g3
    call vmcb_init
    VSET64 V_MISC2, 1
    VSET64 V_BR_FROM, 0x1111
    VSET64 V_BR_TO, 0x2222
    LBR_SET 1
h3_from:
    jmp h3_to
    nop
h3_to:
    mov rax, VMCB
    vmrun
    RDMSR_TO 0x1d9, 13
    LBR_SET 0
    RDMSR_TO 0x1db, 14
    RDMSR_TO 0x1dc, 15
    OBSERVE 16, [VMCB + V_DBGCTL]
    OBSERVE 17, [VMCB + V_BR_FROM]
    OBSERVE 18, [VMCB + V_BR_TO]

    ; PAUSE filter
    mov rdi, g_p
    call vmcb_init
    or dword [VMCB + V_INT_W3], W3_PAUSE
    mov word [VMCB + V_PF_COUNT], 3
    mov esi, 0
    call run_case
    mov rdi, g_p
    call vmcb_init
    or dword [VMCB + V_INT_W3], W3_PAUSE
    mov word [VMCB + V_PF_COUNT], 4
    mov esi, 1
    call run_case
    mov rdi, g_pw
    call vmcb_init
    or dword [VMCB + V_INT_W3], W3_PAUSE
    mov word [VMCB + V_PF_COUNT], 3
    mov word [VMCB + V_PF_THRESH], 50
    mov esi, 2
    call run_case
    mov rdi, g_pw
    call vmcb_init
    or dword [VMCB + V_INT_W3], W3_PAUSE
    mov word [VMCB + V_PF_COUNT], 3
    mov word [VMCB + V_PF_THRESH], 1000
    mov esi, 3
    call run_case

    mov eax, 0x8000000a
    cpuid
    and edx, (1 << 1) | (1 << 10) | (1 << 12)
    mov [OBS(20)], rdx
    PROBE_END

g2:
    RDMSR_TO 0x1d9, 6
g2_from:
    jmp g2_to
    nop
g2_to:
    LBR_SET 0
    vmmcall
g3:
    RDMSR_TO 0x1d9, 10
    RDMSR_TO 0x1db, 11
    RDMSR_TO 0x1dc, 12
    LBR_SET 1
g3_from:
    jmp g3_to
    nop
g3_to:
    vmmcall
g_p:
    pause
    pause
g_p3:
    pause
    vmmcall
g_pw:
    pause
    pause
    mov ecx, 100
wait_l:
    dec ecx
    jnz wait_l
g_p3b:
    pause
    vmmcall

    PROBE_ROUTINES
