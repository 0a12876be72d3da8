; The three G_PAT readings (CONTRACT §2, reference §10.3 / §11.1 constants): L2 reads and writes PAT
; with MSR intercepts off. Phase p stores at RESULTS + 32*p: [0] L2's RDMSR(PAT), [8] L1's PAT
; after the exit, [16] VMCB G_PAT after the exit, [24] the exit code.
;   phase 0: NP on,  G_PAT = 0x0606060606060606 (L2_VMCB12_PAT)
;   phase 1: NP off, same G_PAT
;   phase 2: NP on,  G_PAT = 0x0808080808080808 (INVALID_PAT_VALUE)
;   phase 3: NP off, same invalid G_PAT
%include "lib.inc"

%define L1_PAT      0x0007040600070404
%define L2_PAT      0x0606060606060606
%define BAD_PAT     0x0808080808080808

%macro PHASE 3  ; index, np (0/1), g_pat
    WRMSR64 0x277, L1_PAT
    mov rdi, g_pat
    call vmcb_init
  %if %2
    call np_on
  %endif
    VSET64 V_GPAT, %3
    mov rbx, RESULTS + 32 * %1
    mov qword [rbx], 0xDEAD
    mov esi, 63
    call run_case
    mov rbx, RESULTS + 32 * %1
    mov ecx, 0x277
    rdmsr
    mov [rbx + 8], eax
    mov [rbx + 12], edx
    mov rax, [VMCB + V_GPAT]
    mov [rbx + 16], rax
    mov rax, [VMCB + V_EXITCODE]
    mov [rbx + 24], rax
%endmacro

start:
    SVM_ENABLE
    call npt_init
    PHASE 0, 1, L2_PAT
    PHASE 1, 0, L2_PAT
    PHASE 2, 1, BAD_PAT
    PHASE 3, 0, BAD_PAT
    mov al, 0
    out 0xF4, al

; L2: [rbx] = RDMSR(PAT); WRMSR(PAT, 0x0606060606060604) (L2_PAT_MODIFIED); VMMCALL
g_pat:
    mov ecx, 0x277
    rdmsr
    mov [rbx], eax
    mov [rbx + 4], edx
    mov eax, 0x06060604
    mov edx, 0x06060606
    wrmsr
    vmmcall

SVM_LIB_ROUTINES
